package cmd

import (
	"os"
	"path/filepath"
	"strings"
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

// Counts on the command line are capped with a clear error, before any host
// is reached.
func TestCountFlagsAreCapped(t *testing.T) {
	inv := filepath.Join(t.TempDir(), "overlab.yaml")
	if err := os.WriteFile(inv, []byte("hosts: [{name: n1, address: 192.0.2.1, role: manager}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "-i", inv, "--lab", "swarm", "--tries", "1000"}, "--tries 1000: give 1 to 20 tries per probe"},
		{[]string{"hosts", "-i", inv, "--parallel", "0"}, "--parallel 0: work on 1 to 256 hosts at once"},
		{[]string{"hosts", "-i", inv, "--parallel", "100000"}, "--parallel 100000"},
	} {
		_, errOut, code := historyExec(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %s; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
