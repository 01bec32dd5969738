package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `local down` and `local status` validate the lab name as `local up` does:
// a bad name is refused before anything is looked up, unmounted or removed.
func TestLocalRefusesNamesOutsideTheStateRoot(t *testing.T) {
	// Deep enough that even a broken down cannot reach above the test's own
	// directory: root/../../.. is still below base.
	base := filepath.Join(t.TempDir(), "1", "2", "3")
	root := filepath.Join(base, "state")
	keep := []string{filepath.Join(base, "victim", "keep"), filepath.Join(root, "other", "lab.json")}
	for _, f := range keep {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"down", "status", "up"} {
		for _, name := range []string{"", "..", "../victim", "../../.."} {
			_, stderr, code := run(t, "local", sub, "--state-dir", root, "--name", name)
			if code != exitCouldNotRun || !strings.Contains(stderr, "lab name") {
				t.Errorf("local %s --name %q: exit %d, stderr %q; want exit 2 naming the lab name", sub, name, code, stderr)
			}
			if strings.Contains(stderr, "removed") {
				t.Errorf("local %s --name %q said it removed something: %q", sub, name, stderr)
			}
		}
	}
	for _, f := range keep {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s is gone: %v", f, err)
		}
	}
}
