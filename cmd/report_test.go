package cmd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/overlab/overlab/results"
)

// Files a user names (report -o, check --json) replace a link planted at
// that name instead of writing through it into someone else's file.
func TestOutputFilesDoNotFollowLinks(t *testing.T) {
	dir := t.TempDir()
	storeFixture(t, dir, "pass")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	report, doc := filepath.Join(out, "r.html"), filepath.Join(out, "results.json")
	for _, p := range []string{report, doc} {
		if err := os.Symlink(victim, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, errOut, code := historyExec(t, "report", "--results", dir, "--format", "html", "-o", report); code != 0 {
		t.Fatalf("report: exit %d %s", code, errOut)
	}
	d, err := results.ReadFile(filepath.Join("..", "report", "testdata", "pass.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeDoc(doc, d); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the file behind the link was overwritten (%d bytes now)", len(b))
	}
	for _, p := range []string{report, doc} {
		if st, err := os.Lstat(p); err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s: not a regular file: %v", p, err)
		}
	}
}
