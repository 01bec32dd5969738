//go:build linux

package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRaiseNeighLimitsOnlyRaises(t *testing.T) {
	root := t.TempDir()
	write := func(family, name, v string) {
		dir := filepath.Join(root, fmt.Sprintf(neighDir, family))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ipv4", "gc_thresh2", "512")
	write("ipv4", "gc_thresh3", "1024")
	write("ipv6", "gc_thresh2", "99999") // already higher: kept
	write("ipv6", "gc_thresh3", "1024")
	changed, err := raiseNeighLimits(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 3 {
		t.Errorf("changed %v, want 3 limits", changed)
	}
	read := func(family, name string) string {
		b, _ := os.ReadFile(filepath.Join(root, fmt.Sprintf(neighDir, family), name))
		return strings.TrimSpace(string(b))
	}
	for _, c := range []struct{ family, name, want string }{
		{"ipv4", "gc_thresh2", "8192"}, {"ipv4", "gc_thresh3", "16384"},
		{"ipv6", "gc_thresh2", "99999"}, {"ipv6", "gc_thresh3", "16384"},
	} {
		if got := read(c.family, c.name); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.family, c.name, got, c.want)
		}
	}
}
