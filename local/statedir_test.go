//go:build linux

package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A lab name is a path element below the state root; no name may make down
// unmount or delete anything else (issue: `local down --name ../victim`
// removed a directory beside the state root, an empty name the whole root).
func TestDownRefusesNamesOutsideTheStateRoot(t *testing.T) {
	// Deep enough that even a broken Down cannot reach above the test's own
	// directory: root/../../.. is still below base.
	base := t.TempDir()
	root := filepath.Join(base, "1", "2", "3", "state")
	sentinel := filepath.Join(base, "1", "2", "3", "victim", "keep")
	other := filepath.Join(root, "other", "lab.json")
	for _, f := range []string{sentinel, other} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := New()
	for _, name := range []string{"", ".", "..", "../victim", "../../..", "other/..", "a/b", "/abs", "Other", "other\n"} {
		t.Run(name, func(t *testing.T) {
			l := Lab{Name: name, StateRoot: root}
			err := p.Down(context.Background(), l)
			if err == nil || !strings.Contains(err.Error(), "lab name") {
				t.Fatalf("Down(%q) = %v, want a lab name error", name, err)
			}
			if _, err := Load(root, name); err == nil || !strings.Contains(err.Error(), "lab name") {
				t.Fatalf("Load(%q) = %v, want a lab name error", name, err)
			}
			if l.Exists() {
				t.Fatalf("Exists(%q) = true for a name that is not a lab", name)
			}
			for _, f := range []string{sentinel, other} {
				if _, err := os.Stat(f); err != nil {
					t.Fatalf("%s is gone after Down(%q): %v", f, name, err)
				}
			}
		})
	}
}

// The check at the place that deletes holds even for a Lab value built
// without validation.
func TestOwnStateDirIsDirectlyBelowTheRoot(t *testing.T) {
	tests := []struct {
		root, name string
		ok         bool
	}{
		{"/var/lib/overlab/local", "overlab", true},
		{"/var/lib/overlab/local/", "lab-2", true},
		{"relative/state", "x1", true},
		{"/var/lib/overlab/local", "..", false},
		{"/var/lib/overlab/local", "", false},
		{"/", "..", false},
	}
	for _, tt := range tests {
		_, err := Lab{Name: tt.name, StateRoot: tt.root}.ownStateDir()
		if (err == nil) != tt.ok {
			t.Errorf("ownStateDir(%q, %q) error = %v, want ok=%v", tt.root, tt.name, err, tt.ok)
		}
	}
}
