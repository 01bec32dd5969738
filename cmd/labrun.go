package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/spf13/cobra"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/progress"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runner"
	"github.com/overlab/overlab/runs"
	"github.com/overlab/overlab/safefile"
	"github.com/overlab/overlab/session"
)

// labFlags are shared by up, check, down, status and lab run.
type labFlags struct {
	lab         string
	force       bool
	probeBinary string
	wait        time.Duration
	probeWait   time.Duration
	unreachWait time.Duration
	factsTTL    time.Duration
	tries       int
	format      string
	jsonPath    string
	results     string
	images      bool
	keep        bool
	all         bool // down: every lab that is up
	nameOnly    bool // down: a lab found up may be known by name only
	doctor      bool // up: doctor's network checks first
	matrix      bool // check: full matrices whatever the size
}

func (f *labFlags) addLab(c *cobra.Command) {
	c.Flags().StringVar(&f.lab, "lab", lab.DefaultLab, "`NAME|FILE`: a built-in lab (overlab lab list names them) or a lab file")
	c.Flags().DurationVar(&f.factsTTL, "facts-ttl", runner.DefaultFactsTTL, "reuse what each host's shell said this recently (its engine is always asked); 0: ask the shell every time")
}

// addLabUp is --lab for commands on a lab that is up: without it, the one
// lab that is up (else the default lab).
func (f *labFlags) addLabUp(c *cobra.Command) {
	f.addLab(c)
	fl := c.Flags().Lookup("lab")
	f.lab, fl.DefValue = "", ""
	fl.Usage = "`NAME|FILE`: a built-in lab (overlab lab list names them) or a lab file; default: the lab that is up, else " + lab.DefaultLab
}

func (f *labFlags) addUp(c *cobra.Command) {
	c.Flags().BoolVar(&f.force, "force", false, "make hosts that are in another swarm leave it")
	c.Flags().StringVar(&f.probeBinary, "probe-binary", "", "probe program for the probe image, static, of the hosts' architecture (default: overlab's own probe for each host's architecture)")
	c.Flags().DurationVar(&f.wait, "wait", 60*time.Second, "how long to wait for nodes, tasks and networks")
	c.Flags().BoolVar(&f.doctor, "doctor", false, "first run overlab doctor's network checks (ports, firewall, path MTU, clocks) and stop on a problem")
}

func (f *labFlags) addCheck(c *cobra.Command) {
	f.addProbePolicy(c)
	output.AddFormatFlag(c.Flags(), &f.format)
	addMatrixFlag(c, &f.matrix)
	c.Flags().StringVar(&f.jsonPath, "json", "", "also write the result document to this file")
	addResultsFlag(c, &f.results)
}

// addProbePolicy: how long each probe waits and how often it tries.
func (f *labFlags) addProbePolicy(c *cobra.Command) {
	c.Flags().DurationVar(&f.probeWait, "probe-timeout", 2*time.Second, "deadline of each probe, across its tries")
	c.Flags().DurationVar(&f.unreachWait, "unreachable-timeout", runner.DefaultUnreachableTimeout, "deadline of the probes the lab expects to be unreachable: silence this long is the evidence, any answer within it is reachability")
	c.Flags().IntVar(&f.tries, "tries", 3, "tries per probe within its deadline, so one lost packet is not a failure")
}

// runner is the session's runner with this command's flags.
func (f *labFlags) runner(s *session.Session, p *progress.Progress) *runner.Runner {
	return s.Runner(
		runner.WithProgress(p),
		runner.WithForce(f.force),
		runner.WithPreflight(f.doctor),
		runner.WithProbeBinary(f.probeBinary),
		runner.WithWait(s.Scaled("wait", f.wait)),
		runner.WithProbePolicy(s.Scaled("probe-timeout", f.probeWait), f.tries),
		runner.WithUnreachableTimeout(f.unreachWait),
		runner.WithFactsCache(session.FactsCacheDir(), f.factsTTL),
	)
}

// maxTries bounds --tries: more tries only split a probe's deadline finer.
const maxTries = 20

// openLab opens the session on the lab the flags name (else the one up).
func (f *labFlags) openLab(ctx context.Context, g *Globals, needAll bool) (*session.Session, error) {
	if f.tries < 0 || f.tries > maxTries {
		return nil, couldNotRunf("--tries %d: give 1 to %d tries per probe (each within --probe-timeout)", f.tries, maxTries)
	}
	opts := []session.OpenOption{session.WithLab(f.lab)}
	if needAll {
		opts = append(opts, session.RequireAll())
	}
	if f.nameOnly {
		opts = append(opts, session.NameOnly())
	}
	return g.open(ctx, opts...)
}

func (g *Globals) progress() *progress.Progress {
	v := progress.Normal
	if g.Quiet {
		v = progress.Quiet
	} else if g.Verbosity > 0 {
		v = progress.Verbose
	}
	return progress.New(g.streams.ErrOut, progress.WithTerminal(isTerminal(g.streams.ErrOut) && os.Getenv("TERM") != "dumb"), progress.WithVerbosity(v))
}

func newUpCommand(g *Globals) *cobra.Command {
	f := &labFlags{}
	c := &cobra.Command{
		Use:   "up",
		Short: "Bring the lab up: swarm, networks, probe image and probes on every host (idempotent)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return runUp(ctx, g, f)
		},
	}
	f.addLab(c)
	f.addUp(c)
	return c
}

func runUp(ctx context.Context, g *Globals, f *labFlags) error {
	start := time.Now()
	s, err := f.openLab(ctx, g, true)
	if err != nil {
		return err
	}
	defer s.Close()
	p := g.progress()
	defer p.Close()
	res, err := f.runner(s, p).Up(ctx, s.Cluster, s.Hosts, s.Lab)
	if err != nil {
		// The time the person waited, connecting included.
		p.Summary("up failed after %v", time.Since(start).Round(time.Millisecond))
		return err
	}
	what := fmt.Sprintf("%d changes", len(res.Actions))
	if len(res.Actions) == 0 {
		what = "nothing changed"
	}
	if len(s.Lab.Faults) > 0 {
		what += "; a fault lab: check makes its faults and heals them after"
	}
	p.Summary("up: lab %s on %d hosts in %v (%s)", s.Lab.Name, len(s.Hosts), res.Elapsed.Round(time.Millisecond), what)
	return nil
}

func newCheckCommand(g *Globals) *cobra.Command {
	f := &labFlags{}
	e := &existingFlags{}
	c := &cobra.Command{
		Use:   "check",
		Short: "Probe every pair of hosts on every lab network (or on your own networks, read-only); exit 0 all as expected, 1 some not, 2 could not run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if len(e.networks) > 0 || len(e.services) > 0 {
				return runCheckExisting(ctx, g, f, e, cmd.OutOrStdout())
			}
			return runCheck(ctx, g, f, cmd.OutOrStdout())
		},
	}
	f.addLabUp(c)
	f.addCheck(c)
	e.add(c, f)
	return c
}

func runCheck(ctx context.Context, g *Globals, f *labFlags, out io.Writer) error {
	if err := output.CheckFormat(f.format); err != nil {
		return couldNotRun(err)
	}
	s, err := f.openLab(ctx, g, false)
	if err != nil {
		return err
	}
	defer s.Close()
	p := g.progress()
	doc, err := f.runner(s, p).Check(ctx, s.Cluster, s.Hosts, s.Lab)
	p.Close()
	if err != nil {
		return couldNotRun(err)
	}
	return finishCheck(g, f, doc, out)
}

// finishCheck stores the run, prints the document and sets the exit code.
func finishCheck(g *Globals, f *labFlags, doc *results.Document, out io.Writer) error {
	run, serr := runs.StoreRun(f.results, doc)
	if serr != nil {
		g.Logger().Warnf("storing the run: %v", serr)
	}
	if f.jsonPath != "" {
		if err := writeDoc(f.jsonPath, doc); err != nil {
			return couldNotRun(err)
		}
	}
	var err error
	switch {
	case f.format == output.JSON:
		err = doc.Encode(out)
	case f.format == output.YAML:
		err = output.WriteYAML(out, doc)
	case !g.Quiet:
		err = printTerminal(out, doc, f.matrix)
	default:
		fmt.Fprintf(out, "%d probes: %d as expected, %d not\n", doc.Summary.Total, doc.Summary.Passed, doc.Summary.Failed)
	}
	if err != nil {
		return err
	}
	if serr == nil && f.format == output.Table {
		fmt.Fprintf(g.streams.ErrOut, "results: %s\n", run.Dir)
	}
	if doc.Failed() {
		return notAsExpected(nil)
	}
	return nil
}

// writeDoc writes the results document to path without following a link
// there (safefile).
func writeDoc(path string, doc *results.Document) error {
	var buf bytes.Buffer
	if err := doc.Encode(&buf); err != nil {
		return err
	}
	return safefile.WriteFile(path, buf.Bytes(), 0o644)
}

func newDownCommand(g *Globals) *cobra.Command {
	f := &labFlags{}
	c := &cobra.Command{
		Use:   "down",
		Short: "Remove the lab's probes, networks and swarm membership (workers first); safe to repeat",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return runDown(ctx, g, f)
		},
	}
	f.addLabUp(c)
	c.Flags().BoolVar(&f.images, "images", false, "also remove the probe images")
	c.Flags().BoolVar(&f.all, "all", false, "remove every overlab lab that is up")
	c.Flags().DurationVar(&f.wait, "wait", 30*time.Second, "how long to wait for networks to be free")
	return c
}

func runDown(ctx context.Context, g *Globals, f *labFlags) error {
	f.nameOnly = true
	if f.all {
		return runDownAll(ctx, g, f)
	}
	s, err := f.openLab(ctx, g, false)
	if err != nil {
		return err
	}
	defer s.Close()
	p := g.progress()
	defer p.Close()
	start := time.Now()
	actions, err := f.runner(s, p).Down(ctx, s.Cluster, s.Lab, f.images)
	p.Summary("down: lab %s, %d removals in %v", s.Lab.Name, len(actions), time.Since(start).Round(time.Millisecond))
	return err
}

// runDownAll takes down every lab that is up, one after the other (the
// last one takes the swarm), collecting every error.
func runDownAll(ctx context.Context, g *Globals, f *labFlags) error {
	if f.lab != "" {
		return couldNotRunf("--all and --lab name different labs: give one of them")
	}
	s, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	up, err := s.LabsUp(ctx)
	if err != nil {
		g.Logger().Warnf("finding the labs that are up: %v", err)
	}
	p := g.progress()
	defer p.Close()
	if len(up) == 0 {
		p.Summary("down: no overlab lab is up")
		return nil
	}
	start := time.Now()
	var result *multierror.Error
	n := 0
	for _, name := range up {
		l, _ := session.ResolveUp(name, true)
		actions, err := f.runner(s, p).Down(ctx, s.Cluster, l, f.images)
		n += len(actions)
		if err != nil {
			result = multierror.Append(result, fmt.Errorf("lab %s: %w", name, err))
		}
	}
	p.Summary("down: labs %s, %d removals in %v", strings.Join(up, ", "), n, time.Since(start).Round(time.Millisecond))
	return result.ErrorOrNil()
}

// downLabBeforeDestroy is `overlab down -i INVENTORY` for the default lab,
// run by `overlab vagrant down` before the VMs go.
func downLabBeforeDestroy(ctx context.Context, g *Globals, inventoryPath string) error {
	sub := *g
	sub.Inventory = inventoryPath
	sub.ConnectTimeout = min(g.ConnectTimeout, 5*time.Second)
	return runDown(ctx, &sub, &labFlags{lab: lab.DefaultLab, wait: 30 * time.Second})
}

func newLabRunCommand(g *Globals) *cobra.Command {
	f := &labFlags{}
	c := &cobra.Command{
		Use:   "run NAME|FILE",
		Short: "Up, check, report and down (unless --keep) one lab",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.lab = args[0]
			ctx := cmd.Context()
			return runLab(ctx, g, f, cmd.OutOrStdout())
		},
	}
	f.addUp(c)
	f.addCheck(c)
	c.Flags().BoolVar(&f.keep, "keep", false, "leave the lab up after the check")
	return c
}

func runLab(ctx context.Context, g *Globals, f *labFlags, out io.Writer) error {
	if err := output.CheckFormat(f.format); err != nil {
		return couldNotRun(err)
	}
	s, err := f.openLab(ctx, g, true)
	if err != nil {
		return err
	}
	defer s.Close()
	p := g.progress()
	r := f.runner(s, p)
	down := func() error {
		if f.keep {
			return nil
		}
		_, err := r.Down(context.WithoutCancel(ctx), s.Cluster, s.Lab, false)
		return err
	}
	if _, err := r.Up(ctx, s.Cluster, s.Hosts, s.Lab); err != nil {
		derr := down()
		p.Close()
		return couldNotRun(withDown(fmt.Errorf("up: %w", err), derr))
	}
	doc, err := r.Check(ctx, s.Cluster, s.Hosts, s.Lab)
	derr := down()
	p.Close()
	if err != nil {
		return couldNotRun(withDown(err, derr))
	}
	if derr != nil {
		g.Logger().Warnf("down: %v", derr)
	}
	return finishCheck(g, f, doc, out)
}

// withDown adds the error of the tear-down that followed a failure, if any.
func withDown(err, derr error) error {
	if derr == nil {
		return err
	}
	return multierror.Append(err, fmt.Errorf("down: %w", derr))
}

func newStatusCommand(g *Globals) *cobra.Command {
	f := &labFlags{}
	c := &cobra.Command{
		Use:   "status",
		Short: "Swarm nodes and their state, lab networks, and the lab's containers per host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return runStatus(ctx, g, f, cmd.OutOrStdout())
		},
	}
	f.addLabUp(c)
	output.AddFormatFlag(c.Flags(), &f.format)
	return c
}

func runStatus(ctx context.Context, g *Globals, f *labFlags, out io.Writer) error {
	if err := output.CheckFormat(f.format); err != nil {
		return couldNotRun(err)
	}
	s, err := f.openLab(ctx, g, false)
	if err != nil {
		return err
	}
	defer s.Close()
	v := s.Runner().Status(ctx, s.Cluster, s.Hosts, s.Lab)
	err = output.Print(out, f.format, v, func(w io.Writer) error { return report.Status(w, v) })
	if err != nil {
		return err
	}
	if len(v.Errors) > 0 {
		return notAsExpected(nil)
	}
	return nil
}
