//go:build linux

package labtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The child: a test that would be skipped.
func TestSkipChild(t *testing.T) {
	if os.Getenv("LABTEST_CHILD") != "1" {
		t.Skip("run by TestSkipFailsUnderCI")
	}
	Skip(t)
}

func TestSkipFailsUnderCI(t *testing.T) {
	for _, tc := range []struct {
		ci, unitOnly string
		wantFail     bool
	}{
		{ci: "true", wantFail: true},
		{ci: ""},
		{ci: "true", unitOnly: "1"}, // the Makefile's deliberate unit-only pass
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSkipChild$", "-test.short", "-test.v")
		cmd.Env = append(os.Environ(), "LABTEST_CHILD=1", "CI="+tc.ci, UnitOnlyEnv+"="+tc.unitOnly)
		out, err := cmd.CombinedOutput()
		failed := err != nil
		if failed != tc.wantFail || (failed && !strings.Contains(string(out), "CI=true forbids skipping")) {
			t.Errorf("CI=%q %s=%q: failed=%v, want %v\n%s", tc.ci, UnitOnlyEnv, tc.unitOnly, failed, tc.wantFail, out)
		}
	}
}
