package cmd

import (
	"errors"
	"fmt"
)

// overlab's exit codes mean one thing each, so that CI can read them.
const (
	exitOK            = 0 // everything as expected
	exitNotAsExpected = 1 // some probe not as expected, or diff found a regression
	exitCouldNotRun   = 2 // usage, inventory, connection, a failed up inside lab run
)

// ExitError carries a process exit code; build it with notAsExpected or
// couldNotRun. An error that is not one means the command could not run.
type ExitError struct {
	Code int
	Err  error // nil: the output already said it all
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// notAsExpected: the command ran and found probes not as expected or a
// regression (exit code 1). err may be nil when the output already said so.
func notAsExpected(err error) error { return &ExitError{Code: exitNotAsExpected, Err: err} }

// couldNotRun: bad usage or input, an unreachable host, a failed set-up
// (exit code 2). An error that already carries a code keeps it.
func couldNotRun(err error) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: exitCouldNotRun, Err: err}
}

// couldNotRunf is couldNotRun(fmt.Errorf(format, args...)).
func couldNotRunf(format string, args ...any) error { return couldNotRun(fmt.Errorf(format, args...)) }

// exitCode is the process exit code for what a command returned.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return exitCouldNotRun
}
