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
	"github.com/overlab/overlab/check"
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
// included), probes once, and returns the result document with what it
// could not use as findings.
func (r *Runner) CheckExisting(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, req existing.Request) (*results.Document, error) {
	x, err := r.StartExisting(ctx, c, hosts, req)
	if x == nil {
		return nil, err
	}
	defer x.Stop(ctx)
	if err != nil {
		return x.doc(time.Now()), err
	}
	return x.Round(ctx)
}

// ExistingCheck is a check of existing networks whose probes stay up from
// StartExisting to Stop, for as many rounds as the caller wants (watch).
type ExistingCheck struct {
	r     *Runner
	e     *existingRun
	facts map[string]*cluster.Facts
	down  map[string]error
	// findings are discovery's and the probes' start's, said every round.
	findings []results.Finding
}

// StartExisting finds what req names and starts its probes. A nil check
// means nothing was started; a check with an error must still be stopped.
func (r *Runner) StartExisting(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, req existing.Request) (*ExistingCheck, error) {
	x := &ExistingCheck{r: r, e: &existingRun{c: c, hosts: hosts, run: newRunID()}}
	x.facts, x.down = r.gather(ctx, c, hosts)
	if err := r.discover(ctx, x.e, x.facts, req); err != nil {
		return nil, err
	}
	for _, p := range x.e.found.Problems {
		x.findings = append(x.findings, results.Finding{Severity: results.SeverityError, Message: p})
	}
	if len(x.e.found.Networks) == 0 {
		return x, nil
	}
	x.findings = append(x.findings, r.removeLeftovers(ctx, x.e)...)
	found, err := r.deployProbes(ctx, x.e, x.facts)
	x.findings = append(x.findings, found...)
	return x, err
}

// Name is what the check's documents call it: "networks A,B".
func (x *ExistingCheck) Name() string { return x.e.name }

// Round probes once and returns the result document.
func (x *ExistingCheck) Round(ctx context.Context) (*results.Document, error) {
	start := time.Now()
	doc := x.doc(start)
	if x.e.bp == nil {
		doc.Summarize()
		return doc, nil
	}
	probes, err := x.r.runProbes(ctx, x.e.c, x.e.bp, x.e.lead, x.e.found.NodeHosts)
	if err != nil {
		return doc, err
	}
	x.e.found.Tidy(x.e.run, probes)
	check.Sort(probes)
	addPlan(doc, x.e.bp)
	x.r.conclude(ctx, x.e.c, x.e.hosts, doc, probes, start)
	return doc, nil
}

// doc is a new document with the hosts and what discovery found.
func (x *ExistingCheck) doc(start time.Time) *results.Document {
	doc := newDocument(x.e.lab, start)
	doc.Lab = x.e.name
	doc.Findings = append(doc.Findings, x.findings...)
	addHosts(doc, x.e.hosts, x.facts, x.down)
	return doc
}

// Stop removes the check's probes, also after ctx was cancelled.
func (x *ExistingCheck) Stop(ctx context.Context) {
	if x.e.lab != nil && len(x.e.found.Networks) > 0 {
		x.r.removeProbes(ctx, x.e)
	}
}

// existingRun is what the steps of CheckExisting share.
type existingRun struct {
	c       *cluster.Cluster
	hosts   []inventory.Host
	run     string
	name    string // "networks A,B"
	lead    int
	manager workload.ServiceAPI
	found   *existing.Found
	lab     *lab.Lab
	bp      *blueprint.Blueprint
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
	e.name = "networks " + strings.Join(req.Networks, ",")
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
