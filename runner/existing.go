package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/existing"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/swarm"
	"github.com/overlab/overlab/workload"
)

// CheckExisting checks networks and services that overlab did not make,
// touching none of them: it finds them, starts one hardened probe per
// network (labelled with this run, removed on every way out, a Ctrl-C
// included), probes, and returns the result document with what it could
// not use as findings.
func (r *Runner) CheckExisting(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, req existing.Request) (*results.Document, error) {
	start := time.Now()
	e := &existingRun{c: c, hosts: hosts, run: newRunID()}
	facts, down := r.gather(ctx, c, hosts)
	if err := r.discover(ctx, e, facts, req); err != nil {
		return nil, err
	}
	e.doc = newDocument(e.lab, start)
	e.doc.Lab = "networks " + strings.Join(req.Networks, ",")
	for _, p := range e.found.Problems {
		e.doc.Findings = append(e.doc.Findings, results.Finding{Severity: results.SeverityError, Message: p})
	}
	addHosts(e.doc, hosts, facts, down)
	if len(e.found.Networks) == 0 {
		e.doc.Summarize()
		return e.doc, nil
	}
	r.removeLeftovers(ctx, e)
	defer r.removeProbes(ctx, e)
	if err := r.deployProbes(ctx, e, facts); err != nil {
		return e.doc, err
	}
	probes, err := r.runProbes(ctx, c, e.bp, e.lead, e.found.NodeHosts)
	if err != nil {
		return e.doc, err
	}
	addPlan(e.doc, e.bp)
	r.conclude(ctx, c, hosts, e.doc, probes, start)
	return e.doc, nil
}

// existingRun is what the steps of CheckExisting share.
type existingRun struct {
	c       *cluster.Cluster
	hosts   []inventory.Host
	run     string
	lead    int
	manager workload.ServiceAPI
	found   *existing.Found
	lab     *lab.Lab
	bp      *blueprint.Blueprint
	doc     *results.Document
}

// newRunID names one check's probes: random, so that two checks of the
// same networks never take each other's probes for their own.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// discover finds what req names, read-only, through the swarm's manager
// when the hosts are in a swarm.
func (r *Runner) discover(ctx context.Context, e *existingRun, facts map[string]*cluster.Facts, req existing.Request) error {
	ph := r.progress.Start("discover")
	e.lead = swarm.Controller(ctx, swarm.Members(e.c))
	var mgr existing.ManagerAPI
	mgrName := ""
	if e.lead >= 0 {
		n := e.c.Nodes[e.lead]
		mgr, mgrName, e.manager = n.Docker(), n.Name(), n.Docker()
	}
	found, err := existing.Discover(ctx, existingHosts(e.c, e.hosts, facts), mgr, mgrName, req)
	ph.End(err)
	if err != nil {
		return err
	}
	found.IPVS = allHave(facts, e.hosts, feature.IPVS)
	for _, p := range found.Problems {
		ph.Infof("%s", p)
	}
	e.found = found
	e.lab = found.Lab(e.run)
	if req.Expect != nil {
		if e.lab, err = found.WithExpect(e.lab, req.Expect, e.run); err != nil {
			return err
		}
	}
	e.lab.Labels = map[string]string{OwnerLabel: owner()}
	return nil
}

// existingHosts are the inventory hosts as discovery sees them: their
// engine when connected, and their swarm node.
func existingHosts(c *cluster.Cluster, hosts []inventory.Host, facts map[string]*cluster.Facts) []existing.Host {
	out := make([]existing.Host, 0, len(hosts))
	for _, h := range hosts {
		eh := existing.Host{Name: h.Name}
		if n := c.Node(h.Name); n != nil {
			eh.API = n.Docker()
		}
		if f := facts[h.Name]; f != nil && f.SwarmState == "active" {
			eh.NodeID = f.SwarmNodeID
		}
		out = append(out, eh)
	}
	return out
}

func allHave(facts map[string]*cluster.Facts, hosts []inventory.Host, ft feature.Name) bool {
	for _, h := range hosts {
		if f := facts[h.Name]; f == nil || !f.Features.Has(ft) {
			return false
		}
	}
	return true
}

// OwnerLabel says which process on which machine started a check's probes:
// the next check removes those whose process is gone.
const OwnerLabel = "overlab.check.owner"

func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// usableWorkloads keeps the checks whose probes all run.
func keepChecks(checks []lab.Check, failed map[string]bool) []lab.Check {
	return slices.DeleteFunc(slices.Clone(checks), func(c lab.Check) bool {
		return failed[c.FromWorkload] || failed[c.ToWorkload]
	})
}
