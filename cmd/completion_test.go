package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func complete(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Execute(append([]string{"__complete"}, args...), Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}); code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, code, errOut.String())
	}
	var words []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(l, ":") { // the last line is cobra's directive
			words = append(words, strings.SplitN(l, "\t", 2)[0])
		}
	}
	return words
}

func TestCompletion(t *testing.T) {
	results := t.TempDir()
	pass := storeFixture(t, results, "pass")
	inv := filepath.Join(t.TempDir(), "overlab.yaml")
	if err := os.WriteFile(inv, []byte("hosts:\n  - {name: alpha, address: 10.1.2.3, role: manager}\n  - {name: beta, address: 10.1.2.4}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"check", "--lab", ""}, []string{"swarm", "bridge", "overlay"}},
		{[]string{"lab", "show", ""}, []string{"swarm", "macvlan"}},
		{[]string{"lab", "run", ""}, []string{"user-bridge"}},
		{[]string{"hosts", "--format", ""}, []string{"table", "json", "yaml"}},
		{[]string{"report", "--format", ""}, []string{"html", "junit"}},
		{[]string{"report", "--results", results, ""}, []string{pass.ID}},
		{[]string{"diff", "--results", results, pass.ID, ""}, []string{pass.ID}},
		{[]string{"fault", "cut", "-i", inv, ""}, []string{"alpha", "beta"}},
		{[]string{"doctor", "-i", inv, "--hosts", ""}, []string{"alpha", "beta"}},
	} {
		got := complete(t, tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
				t.Errorf("overlab %s<TAB>: %q lacks %q", strings.Join(tc.args, " "), got, w)
			}
		}
	}
}
