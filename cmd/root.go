package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/overlab/overlab/log"
)

// Streams are the command's standard streams, injected for tests.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// Globals are the flags every command shares.
type Globals struct {
	Inventory string
	Verbosity int
	Quiet     bool
	ConnectFlags

	streams Streams
	logger  log.Logger
}

// Logger is the command's logger, built from -v/-q once flags are parsed.
func (g *Globals) Logger() log.Logger {
	if g.logger == nil {
		v := g.Verbosity
		if g.Quiet {
			v = -1
		}
		g.logger = log.New(g.streams.ErrOut, v, log.WithTimestamps(!isTerminal(g.streams.ErrOut)))
	}
	return g.logger
}

// ExitError carries a process exit code (check: 1 failed probes, 2 could not run).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// NewRoot builds the overlab command tree.
func NewRoot(s Streams) *cobra.Command {
	g := &Globals{streams: s}
	root := &cobra.Command{
		Use:           "overlab",
		Short:         "Docker multi-host networking labs over SSH, with evidence",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Inventory, "inventory", "i", "", "inventory file (default overlab.yaml, then the local lab's inventory)")
	pf.CountVarP(&g.Verbosity, "verbose", "v", "more detail (repeatable)")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print only the summary and errors")
	g.ConnectFlags.addFlags(pf)

	root.AddCommand(
		newInventoryCommand(g),
		newVagrantCommand(g),
		newHostsCommand(g),
		newLocalCommand(g),
		newProbeCommand(g),
		newRunsCommand(g),
		newReportCommand(g),
		newDiffCommand(g),
		newLabCommand(g),
		newUpCommand(g),
		newCheckCommand(g),
		newDownCommand(g),
		newStatusCommand(g),
		newFaultCommand(g),
	)
	return root
}

// Execute runs overlab with args and returns the process exit code. It is the
// one place that prints errors.
func Execute(args []string, s Streams) int {
	root := NewRoot(s)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(s.ErrOut, "ERROR: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(s.ErrOut, "ERROR: %v\n", err)
	return 1
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
