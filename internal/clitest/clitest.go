// Package clitest builds the overlab command once per test binary and runs
// it as a user would, for the end-to-end tests that go through the CLI.
package clitest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	once sync.Once
	bin  string
	err  error
)

// Binary is overlab built statically (so that it also serves as a probe)
// into a directory that lives as long as the test binary.
func Binary(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		var dir string
		if dir, err = os.MkdirTemp("", "overlab-cli-"); err != nil {
			return
		}
		bin = filepath.Join(dir, "overlab")
		cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/overlab/overlab/cmd/overlab")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, e := cmd.CombinedOutput(); e != nil {
			err = errors.New("go build: " + e.Error() + "\n" + string(out))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Run runs overlab with args (no colour, no terminal) within 5 minutes and
// returns its exit code, stdout and stderr.
func Run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "TERM=dumb", "NO_COLOR=1")
	runErr := cmd.Run()
	var ee *exec.ExitError
	if runErr != nil && !errors.As(runErr, &ee) {
		t.Fatalf("overlab %s: %v", strings.Join(args, " "), runErr)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}
