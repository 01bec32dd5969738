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
	for _, ci := range []string{"true", ""} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSkipChild$", "-test.short", "-test.v")
		cmd.Env = append(os.Environ(), "LABTEST_CHILD=1", "CI="+ci)
		out, err := cmd.CombinedOutput()
		failed := err != nil
		if failed != (ci == "true") || (failed && !strings.Contains(string(out), "CI=true forbids skipping")) {
			t.Errorf("CI=%q: failed=%v, want %v\n%s", ci, failed, ci == "true", out)
		}
	}
}
