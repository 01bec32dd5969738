package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/existing"
	"github.com/overlab/overlab/progress"
	"github.com/overlab/overlab/runs"
	"github.com/overlab/overlab/session"
	"github.com/overlab/overlab/watch"
)

// watchFlags are watch's own flags.
type watchFlags struct {
	interval  time.Duration
	listen    string
	events    string
	webConfig string
	keepRuns  int
}

func newWatchCommand(g *Globals) *cobra.Command {
	f := &labFlags{}
	e := &existingFlags{}
	w := &watchFlags{}
	c := &cobra.Command{
		Use:   "watch",
		Short: "Keep checking the lab that is up (or your own networks) every interval: Prometheus metrics, a live page, each transition explained",
		Long: `Keep checking the lab that is up, or your own networks read-only (--networks, with
overlab's hardened probes kept up while it runs and removed when it ends), every --interval.

It serves, on --listen (loopback by default): the live page at /, the metrics at /metrics,
the latest results at /api/matrix (JSON, the results schema) and the transitions at
/api/events. Each transition (a probe changing outcome, a host lost or back) is one line
on standard output and one JSON line in --events, with its diagnosis. Runs are stored on
a transition and at least every 10 minutes. Ctrl-C or SIGTERM ends it. See docs/watch.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd.Context(), g, f, e, w, cmd.OutOrStdout())
		},
	}
	f.addLabUp(c)
	f.addProbePolicy(c)
	addResultsFlag(c, &f.results)
	e.add(c, f)
	w.interval = 15 * time.Second
	c.Flags().Var((*intervalValue)(&w.interval), "interval", "how often to probe, e.g. 15s or 1m")
	c.Flags().StringVar(&w.listen, "listen", "127.0.0.1:9469", "`HOST:PORT` of the live page and the metrics; anything but loopback shows your networks' topology to whoever reaches it (see --web-config)")
	c.Flags().StringVar(&w.events, "events", "", "`FILE`: append one JSON line per transition")
	c.Flags().StringVar(&w.webConfig, "web-config", "", "`FILE`: TLS and basic auth, in the Prometheus exporter toolkit's web configuration format")
	c.Flags().IntVar(&w.keepRuns, "keep-runs", 200, "keep at most this many of this watch's stored runs (the oldest go); 0 keeps all")
	return c
}

func runWatch(ctx context.Context, g *Globals, f *labFlags, e *existingFlags, w *watchFlags, out io.Writer) error {
	if err := watch.CheckInterval(w.interval); err != nil {
		return couldNotRun(err)
	}
	if w.keepRuns < 0 {
		return couldNotRunf("--keep-runs %d: want 0 (keep all) or more", w.keepRuns)
	}
	mine := len(e.networks) > 0 || len(e.services) > 0
	req, err := watchRequest(f, e, mine)
	if err != nil {
		return couldNotRun(err)
	}
	srv, err := watch.Listen(w.listen, w.webConfig)
	if err != nil {
		return couldNotRun(err)
	}
	defer srv.Close()
	o := watch.Options{Interval: w.interval, Server: srv, Out: out, ResultsDir: runs.ResolveDir(f.results), KeepRuns: w.keepRuns, Logger: g.Logger()}
	if w.events != "" {
		fh, err := watch.OpenEvents(w.events)
		if err != nil {
			return couldNotRun(err)
		}
		defer fh.Close()
		o.Events = fh
	}
	if !srv.Loopback() {
		fmt.Fprintf(g.streams.ErrOut, "watch: listening on %s, which is not loopback: whoever reaches it sees your networks' topology%s\n", srv.Addr(), webConfigSays(w.webConfig))
	}
	s, err := openWatchSession(ctx, g, f, mine)
	if err != nil {
		return err
	}
	defer s.Close()
	o.Cluster, o.Hosts = s.Cluster, s.Hosts
	r := f.runner(s, progress.New(io.Discard))
	var src watch.Source
	if mine {
		fmt.Fprintf(g.streams.ErrOut, "watch: starting overlab's probes on %s (removed when the watch ends)\n", "networks "+strings.Join(req.Networks, ","))
		x, err := r.StartExisting(ctx, s.Cluster, s.Hosts, req)
		if x != nil {
			defer x.Stop(ctx)
		}
		if err != nil {
			return couldNotRun(err)
		}
		src = watch.ExistingSource(x)
	} else {
		src = watch.LabSource(r, s.Cluster, s.Hosts, s.Lab)
	}
	fmt.Fprintf(g.streams.ErrOut, "watch: %s on %d hosts every %v; live page and /metrics at %s (Ctrl-C ends it)\n", src.Name(), len(s.Hosts), w.interval, srv.URL())
	if err := watch.Run(ctx, src, o); err != nil {
		return couldNotRun(err)
	}
	fmt.Fprintln(g.streams.ErrOut, "watch: stopped")
	return nil
}

// watchRequest is what --networks and --services name (with --expect),
// refused together with --lab.
func watchRequest(f *labFlags, e *existingFlags, mine bool) (existing.Request, error) {
	if !mine {
		return existing.Request{}, nil
	}
	if f.lab != "" {
		return existing.Request{}, fmt.Errorf("--networks watches networks that exist already; --lab names a lab: give one of them")
	}
	req, err := existing.ParseRequest(e.networks, e.services)
	if err != nil {
		return req, err
	}
	if e.expect != "" {
		req.Expect, err = existing.LoadExpect(e.expect)
	}
	return req, err
}

func openWatchSession(ctx context.Context, g *Globals, f *labFlags, mine bool) (*session.Session, error) {
	if mine {
		return g.open(ctx, session.ReportsDown())
	}
	return f.openLab(ctx, g, false)
}

func webConfigSays(path string) string {
	if path == "" {
		return " (no TLS, no authentication: give them with --web-config FILE)"
	}
	return " (TLS and authentication as " + path + " says)"
}

// intervalValue is --interval: a duration, with a message that says what
// one looks like.
type intervalValue time.Duration

func (v *intervalValue) String() string { return time.Duration(*v).String() }
func (v *intervalValue) Type() string   { return "duration" }

func (v *intervalValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("not a duration: want e.g. 15s, 1m or 1m30s")
	}
	*v = intervalValue(d)
	return nil
}
