package cmd

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/interrupt"
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
	// flagChanged says which flags the command line set (those are never
	// scaled by the inventory's time_scale).
	flagChanged func(name string) bool
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

// deps are what commands reach beyond this process through, beside the
// streams; tests pass fakes to newRoot.
type deps struct {
	local           newLocalProvider
	vagrant         newVagrantProvider
	discoverVagrant discoverFunc
}

func defaultDeps() deps {
	return deps{local: newLocalHosts, vagrant: newVagrantHosts, discoverVagrant: discoverVagrantAddresses}
}

// NewRoot builds the overlab command tree.
func NewRoot(s Streams) *cobra.Command { return newRoot(s, defaultDeps()) }

func newRoot(s Streams, d deps) *cobra.Command {
	g := &Globals{streams: s}
	root := &cobra.Command{
		Use:           "overlab",
		Short:         "Docker multi-host networking labs over SSH, with evidence",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// --parallel bounds every fan-out below the command, through its context.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if g.Parallel < 1 || g.Parallel > maxParallel {
			return couldNotRunf("--parallel %d: work on 1 to %d hosts at once", g.Parallel, maxParallel)
		}
		cmd.SetContext(fanout.WithLimit(cmdContext(cmd), g.Parallel))
		g.flagChanged = func(name string) bool { return cmd.Flags().Changed(name) }
		return nil
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
		newInventoryCommand(g, d.discoverVagrant),
		newVagrantCommand(g, d.vagrant),
		newHostsCommand(g),
		newLocalCommand(g, d.local),
		newProbeCommand(g),
		newRunsCommand(g),
		newReportCommand(g),
		newDiffCommand(g),
		newLabCommand(g),
		newUpCommand(g),
		newCheckCommand(g),
		newWatchCommand(g),
		newDownCommand(g),
		newStatusCommand(g),
		newFaultCommand(g),
		newDoctorCommand(g),
		newExplainCommand(g),
		newVersionCommand(),
		newProbeProgramCommand(g),
	)
	addCompletions(root, g)
	return root
}

// Execute runs overlab with args and returns the process exit code. It is the
// one place that prints errors, and the one place that turns Ctrl-C and
// SIGTERM into the end of the command's context, for every command.
func Execute(args []string, s Streams) int { return execute(args, s, defaultDeps()) }

func execute(args []string, s Streams, d deps) int {
	// The first Ctrl-C ends the command's context; a step that must finish
	// once begun may outlive it for a bound it announces, until a second.
	ctx, stop := interrupt.NotifyContext(context.Background())
	defer stop()
	root := newRoot(s, d)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := exitCode(err)
	if ctx.Err() != nil {
		// Interrupted: whatever the command found is incomplete.
		code = exitCouldNotRun
		err = fmt.Errorf("interrupted: %w", err)
	}
	if msg := err.Error(); msg != "interrupted: " && msg != "" {
		fmt.Fprintf(s.ErrOut, "ERROR: %s\n", msg)
	} else if ctx.Err() != nil {
		fmt.Fprintln(s.ErrOut, "ERROR: interrupted")
	}
	return code
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
