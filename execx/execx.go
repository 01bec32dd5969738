package execx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// CommandError is overlab's one error for a command that failed or could not
// run, wherever it ran: on this machine (Output, Run, RunCmd), on a lab host
// over SSH (cluster.Node.Run), or through a provider's tool (vagrant: build
// it with NewCommandError, or Output/RunCmd, rather than a type of its own).
type CommandError struct {
	Host     string // the lab host it ran on or for; "" for this machine
	Command  string // the command line as run
	ExitCode int    // -1 when it did not exit on its own (not started, cancelled, killed)
	Output   []byte // stdout and stderr together; Error shows its tail
	Err      error
}

// NewCommandError builds the error for args that failed with err after
// printing output, taking the exit code from err when there is one.
func NewCommandError(host string, args []string, output []byte, err error) *CommandError {
	return &CommandError{Host: host, Command: strings.Join(args, " "), ExitCode: ExitCode(err), Output: output, Err: err}
}

func (e *CommandError) Error() string {
	var b strings.Builder
	if e.Host != "" {
		b.WriteString(e.Host + ": ")
	}
	fmt.Fprintf(&b, "command %q", e.Command)
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, " exited with code %d", e.ExitCode)
	} else {
		fmt.Fprintf(&b, " failed: %v", e.Err)
	}
	if out := strings.TrimSpace(string(e.Output)); out != "" {
		b.WriteString(": " + Tail(out, 12))
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// Tail returns at most the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Output runs args and returns its combined output, or a *CommandError.
func Output(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return buf.Bytes(), NewCommandError("", args, buf.Bytes(), err)
	}
	return buf.Bytes(), nil
}

// Run runs args and discards its output unless it fails.
func Run(ctx context.Context, args ...string) error {
	_, err := Output(ctx, args...)
	return err
}

// ExitCode returns the exit status inside err (a local process's or a remote
// command's, anything with ExitStatus), or -1.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.ExitCode
	}
	var st interface{ ExitStatus() int }
	if errors.As(err, &st) {
		return st.ExitStatus()
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
		return NewCommandError("", cmd.Args, buf.Bytes(), err)
	}
	return nil
}
