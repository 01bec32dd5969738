package probeimage

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/overlab/overlab/internal/testenv"
)

var (
	stubOnce sync.Once
	stubDir  string
	stubErr  error
)

// stub builds testdata/stub once per test binary in three flavours: static,
// cgo (dynamic) when a C compiler exists, and static arm64.
func stub(t *testing.T, flavour string) string {
	t.Helper()
	stubOnce.Do(func() {
		stubDir, stubErr = os.MkdirTemp("", "probeimage-stub-")
		if stubErr != nil {
			return
		}
		for name, env := range map[string][]string{
			"static": {"CGO_ENABLED=0"},
			"arm64":  {"CGO_ENABLED=0", "GOARCH=arm64"},
			"cgo":    {"CGO_ENABLED=1"},
		} {
			if name == "cgo" {
				if _, err := exec.LookPath("gcc"); err != nil {
					continue
				}
			}
			cmd := exec.Command("go", "build", "-o", filepath.Join(stubDir, name), "./testdata/stub")
			cmd.Env = append(os.Environ(), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				stubErr = &exec.ExitError{Stderr: out}
				return
			}
		}
	})
	if stubErr != nil {
		t.Fatalf("build stub: %v", stubErr)
	}
	p := filepath.Join(stubDir, flavour)
	if _, err := os.Stat(p); err != nil {
		testenv.SkipOrFail(t, "no "+flavour+" stub: no C compiler (scripts/setup.sh installs gcc)")
	}
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if stubDir != "" {
		os.RemoveAll(stubDir)
	}
	os.Exit(code)
}

// staticBusybox is the machine's busybox-static, or skips.
func staticBusybox(t *testing.T) string {
	t.Helper()
	info, err := InspectBinary(DefaultBusybox)
	if err != nil || !info.Static {
		t.Skipf("no static %s (apt-get install busybox-static)", DefaultBusybox)
	}
	return DefaultBusybox
}
