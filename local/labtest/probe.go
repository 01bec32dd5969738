//go:build linux

package labtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ProbeBinary builds the dedicated static probe that `make build` embeds in
// overlab, so that end-to-end tests can pass it explicitly and do not depend
// on make build having run.
func ProbeBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "overlab-probe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/overlab/overlab/cmd/overlab-probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v\n%s", err, out)
	}
	return bin
}
