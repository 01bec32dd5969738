package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/existing"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/session"
)

// existingFlags are check's flags for networks overlab did not make.
type existingFlags struct {
	networks []string
	services []string
	expect   string
}

func (e *existingFlags) add(c *cobra.Command, f *labFlags) {
	c.Flags().DurationVar(&f.wait, "wait", 60*time.Second, "with --networks: how long to wait for the probes to start and for the overlays to converge")
	c.Flags().StringSliceVar(&e.networks, "networks", nil, "`NAME[,NAME...]`: check these existing networks read-only (your own swarm's or hosts'), instead of a lab")
	c.Flags().StringSliceVar(&e.services, "services", nil, "`NAME:PORT[/tcp|/udp],...`: with --networks, also reach these swarm services by name, virtual IP and each task")
	c.Flags().StringVar(&e.expect, "expect", "", "`FILE`: with --networks, expectations in the lab format (expect: rows; the probes are probe and probe@NETWORK) instead of the defaults")
}

// runCheckExisting checks networks and services that overlab did not
// make. What it could not use (a name not found, a host outside the swarm)
// is reported with the rest, then ends the command with exit code 2.
func runCheckExisting(ctx context.Context, g *Globals, f *labFlags, e *existingFlags, out io.Writer) error {
	if err := output.CheckFormat(f.format); err != nil {
		return couldNotRun(err)
	}
	if f.lab != "" {
		return couldNotRunf("--networks checks networks that exist already; --lab names a lab: give one of them")
	}
	req, err := existing.ParseRequest(e.networks, e.services)
	if err != nil {
		return couldNotRun(err)
	}
	if e.expect != "" {
		if req.Expect, err = existing.LoadExpect(e.expect); err != nil {
			return couldNotRun(err)
		}
	}
	s, err := g.open(ctx, session.ReportsDown())
	if err != nil {
		return err
	}
	defer s.Close()
	p := g.progress()
	doc, err := f.runner(s, p).CheckExisting(ctx, s.Cluster, s.Hosts, req)
	p.Close()
	if err != nil && doc == nil {
		return couldNotRun(err)
	}
	if ferr := finishCheck(g, f, doc, out); err == nil {
		err = ferr
	}
	if err != nil {
		return couldNotRun(err)
	}
	if problems := discoveryProblems(doc.Findings); len(problems) > 0 {
		return couldNotRun(fmt.Errorf("%s", strings.Join(problems, "\n")))
	}
	return nil
}

// discoveryProblems are the findings that say what could not be checked.
func discoveryProblems(fs []results.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == results.SeverityError && f.Host == "" {
			out = append(out, f.Message)
		}
	}
	return out
}
