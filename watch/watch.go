package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/results"
)

// MinInterval is the shortest interval a watch takes: a round probes every
// pair of every network, and the hosts' engines answer each round.
const MinInterval = time.Second

// CheckInterval says what is wrong with an interval, in the flag's terms.
func CheckInterval(d time.Duration) error {
	if d < MinInterval {
		return fmt.Errorf("--interval %v: want %v or more (e.g. --interval 15s): each round probes every pair of hosts", d, MinInterval)
	}
	if d > 24*time.Hour {
		return fmt.Errorf("--interval %v: want at most 24h", d)
	}
	return nil
}

// Options is what a watch needs beside its source.
type Options struct {
	Interval time.Duration
	// Cluster and Hosts are the session's: the watch pings them, drops the
	// hosts that go away and puts them back when they answer again.
	Cluster *cluster.Cluster
	Hosts   []inventory.Host
	// Server serves the state (nil: none); Run starts it.
	Server *Server
	// Out gets one line per transition; Events one JSON line (nil: none).
	Out    io.Writer
	Events io.Writer
	// ResultsDir is where runs are stored ("" : none); at most KeepRuns
	// of this watch's runs are kept (0: all).
	ResultsDir string
	KeepRuns   int
	// PingTimeout bounds each host's health check (default 5 s).
	PingTimeout time.Duration
	Logger      log.Logger
}

// Run probes src every interval until ctx ends (Ctrl-C, SIGTERM), which is
// the normal end: it then returns nil. It returns an error only when the
// server stopped on its own. What src made on the hosts is the caller's to
// remove.
func Run(ctx context.Context, src Source, o Options) error {
	if o.Logger == nil {
		o.Logger = log.NoOp{}
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 5 * time.Second
	}
	hosts := newHostTracker(o.Cluster, o.Hosts, o.PingTimeout, backoffFor(o.Interval), o.Logger)
	defer hosts.close()
	state := NewState(src.Name(), o.Interval, hosts.statuses())
	var served <-chan error
	if o.Server != nil {
		o.Server.Serve(state, o.Logger)
		served = o.Server.Err()
	}
	var store *runStore
	if o.ResultsDir != "" {
		store = newRunStore(o.ResultsDir, StoreEvery, o.KeepRuns)
	}
	for {
		start := time.Now()
		if !round(ctx, src, hosts, state, store, o) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			return fmt.Errorf("the web server stopped: %w", err)
		case <-time.After(time.Until(start.Add(o.Interval))):
		}
	}
}

// round refreshes the hosts, probes once, records and says what changed;
// false when ctx ended first (nothing of an interrupted round is said).
func round(ctx context.Context, src Source, hosts *hostTracker, state *State, store *runStore, o Options) bool {
	hostEvs, changed := hosts.refresh(ctx, time.Now())
	if ctx.Err() != nil {
		return false
	}
	if changed {
		src.HostsChanged(ctx)
	}
	rctx, cancel := context.WithTimeout(ctx, roundTimeout(o.Interval))
	start := time.Now()
	doc, err := src.Round(rctx)
	took := time.Since(start)
	cancel()
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		o.Logger.Warnf("round: %v", err)
	}
	evs := state.Record(RoundResult{At: time.Now(), Took: took, Doc: doc, Err: err, Hosts: hosts.statuses(), HostEvents: hostEvs})
	snap, _ := state.Current()
	if snap.Round == 1 {
		fmt.Fprintln(o.Out, report.RoundLine(snap.Checked, snap.Target, snap.Round, snap.Doc))
	}
	for _, ev := range evs {
		fmt.Fprintln(o.Out, report.EventLine(ev))
		if o.Events != nil {
			if werr := writeEvent(o.Events, ev); werr != nil {
				o.Logger.Warnf("events file: %v", werr)
			}
		}
	}
	dir, serr := store.maybeStore(snap.Checked, len(evs) > 0, snap.Doc)
	switch {
	case serr != nil:
		o.Logger.Warnf("storing the run: %v", serr)
	case dir != "":
		o.Logger.V(1).Infof("round %d stored: %s", snap.Round, dir)
	}
	return true
}

// roundTimeout bounds one round: a host that hangs mid-round fails its
// own rows instead of stopping the watch.
func roundTimeout(interval time.Duration) time.Duration {
	return max(2*interval, 30*time.Second)
}

func writeEvent(w io.Writer, ev results.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// OpenEvents opens the events file for appending (created when missing):
// one JSON line per transition, across watches.
func OpenEvents(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--events %s: its directory does not exist: %w", path, err)
		}
		return nil, fmt.Errorf("--events %s: %w", path, err)
	}
	return f, nil
}
