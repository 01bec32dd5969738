package execx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// RunError is a failed command with what it printed.
type RunError struct {
	Host   string // optional: the lab host the command ran for
	Args   []string
	Output []byte
	Inner  error
}

func (e *RunError) Error() string {
	var b strings.Builder
	if e.Host != "" {
		b.WriteString(e.Host + ": ")
	}
	fmt.Fprintf(&b, "command %q failed: %v", strings.Join(e.Args, " "), e.Inner)
	if out := strings.TrimSpace(string(e.Output)); out != "" {
		b.WriteString(": " + Tail(out, 12))
	}
	return b.String()
}

func (e *RunError) Unwrap() error { return e.Inner }

// Tail returns at most the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Output runs args and returns its combined output, or a *RunError.
func Output(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return buf.Bytes(), &RunError{Args: args, Output: buf.Bytes(), Inner: err}
	}
	return buf.Bytes(), nil
}

// Run runs args and discards its output unless it fails.
func Run(ctx context.Context, args ...string) error {
	_, err := Output(ctx, args...)
	return err
}

// ExitCode returns the exit status inside err, or -1.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Command is exec.CommandContext; with RunCmd it gives the same rich errors.
func Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, args[0], args[1:]...)
}

// RunCmd runs a prepared command, capturing its output for the error.
func RunCmd(cmd *exec.Cmd) error {
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return &RunError{Args: cmd.Args, Output: buf.Bytes(), Inner: err}
	}
	return nil
}
