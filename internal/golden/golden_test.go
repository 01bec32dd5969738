package golden

import (
	"os"
	"path/filepath"
	"testing"
)

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestAssert(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "x.golden"), []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		got  string
		fail bool
	}{{"a\nb\n", false}, {"a\nc\n", true}} {
		r := &recorder{TB: t}
		Assert(r, "x.golden", []byte(tc.got))
		if r.failed != tc.fail {
			t.Errorf("%q: failed %v, want %v", tc.got, r.failed, tc.fail)
		}
	}
	if got := FirstDiff("a\nb", "a\nc"); got != "line 2:\n  want: b\n  got:  c" {
		t.Errorf("FirstDiff = %q", got)
	}
}
