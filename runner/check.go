package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/check"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/diagnose"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/swarm"
	"github.com/overlab/overlab/workload"
)

func (r *Runner) unreachableTimeout() time.Duration {
	if r.unreachWait <= 0 {
		return r.probeWait
	}
	return min(r.probeWait, r.unreachWait)
}

// ErrNoSwarm means check found no swarm for a lab that needs one.
var ErrNoSwarm = errors.New("no swarm")

// Check runs the lab's probes and returns the result document. Hosts that
// cannot be reached still yield their rows, failed with the cause.
func (r *Runner) Check(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab) (*results.Document, error) {
	start := time.Now()
	doc := newDocument(l, start)
	bp, err := blueprint.Compile(l, blueprint.FromInventory(hosts), r.engineOptions(ctx, c, l)...)
	if err != nil {
		return doc, err
	}
	if len(l.Requires) > 0 && r.requirementsUnmet(ctx, c, hosts, bp, doc) {
		return doc, nil
	}
	doc.Findings = append(doc.Findings, bp.EngineFindings()...)
	// Facts are for the report (hosts, findings); the probes need only the
	// manager and the tasks, so both run at once (after a fault lab's
	// faults, which may replace a host's connection).
	var factsDone <-chan gathered
	if len(l.Faults) == 0 {
		factsDone = r.gatherAsync(ctx, c, hosts)
	}
	lead := swarm.Controller(ctx, swarm.Members(c))
	if len(l.Faults) > 0 && (!l.NeedsSwarm() || lead >= 0) {
		heal, err := r.makeFaults(ctx, c, bp.Infos(), l, doc)
		defer heal()
		if err != nil {
			return doc, err
		}
	}
	if factsDone == nil {
		factsDone = r.gatherAsync(ctx, c, hosts)
	}
	var probes []results.Probe
	var perr error
	if !l.NeedsSwarm() || lead >= 0 {
		probes, perr = r.runProbes(ctx, c, bp, lead, nil)
	}
	g := <-factsDone
	addHosts(doc, hosts, g.facts, g.down)
	addPlan(doc, bp.Replan(g.facts))
	if l.NeedsSwarm() && lead < 0 {
		return doc, fmt.Errorf("%w: no reachable manager of the inventory is in a swarm: run `overlab up` first", ErrNoSwarm)
	}
	if perr != nil {
		return doc, perr
	}
	r.conclude(ctx, c, hosts, doc, probes, start)
	judgeDiagnoses(doc)
	doc.Explain = r.explainNetworks(ctx, c, hosts, bp)
	doc.DurationMS = time.Since(start).Milliseconds()
	return doc, nil
}

func newDocument(l *lab.Lab, start time.Time) *results.Document {
	return &results.Document{SchemaVersion: results.SchemaVersion, Lab: l.Name, StartedAt: start.UTC(), Hosts: []results.Host{}, Networks: []results.Network{}, Probes: []results.Probe{}, Findings: []results.Finding{}}
}

// requirementsUnmet records the lab's unmet requirements as the document's
// findings, summarised, and says whether there were any.
func (r *Runner) requirementsUnmet(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, bp *blueprint.Blueprint, doc *results.Document) bool {
	facts, down := r.gather(ctx, c, hosts)
	missing := bp.Replan(facts).Unmet
	if len(missing) == 0 {
		return false
	}
	addHosts(doc, hosts, facts, down)
	doc.Findings = append(doc.Findings, missing...)
	doc.NotRun = notRunReason(missing)
	doc.Summarize()
	return true
}

// runProbes finds the lab's containers (through the swarm's controller
// when lead >= 0) and runs every probe, sorted when all ran.
func (r *Runner) runProbes(ctx context.Context, c *cluster.Cluster, bp *blueprint.Blueprint, lead int, nodeHosts map[string]string) ([]results.Probe, error) {
	ph := r.progress.Start("probes")
	spec := workload.Spec{Blueprint: bp, Hosts: WorkloadHosts(c), NodeHosts: nodeHosts}
	if lead >= 0 {
		spec.Manager = c.Nodes[lead].Docker()
	}
	inst, ierr := workload.Instances(ctx, spec)
	if ierr != nil {
		r.logger.V(1).Infof("finding the lab's containers: %v", ierr)
	}
	engines := map[string]check.Execer{}
	for _, n := range c.Nodes {
		engines[n.Name()] = n.Docker()
	}
	auth, err := r.authority()
	if err != nil {
		ph.End(err)
		return nil, err
	}
	probes, err := check.Run(ctx, check.Spec{Blueprint: bp, Instances: inst, Engines: engines, HostErrors: c.Down, Timeout: r.probeWait,
		UnreachableTimeout: r.unreachableTimeout(), Tries: r.tries, Parallel: r.parallel, Authority: auth})
	if err == nil {
		check.Sort(probes)
	}
	ph.End(err)
	return probes, err
}

// addHosts adds a row per inventory host, with its facts, and a finding
// for each of its problems and for a host that could not be reached.
func addHosts(doc *results.Document, hosts []inventory.Host, facts map[string]*cluster.Facts, down map[string]error) {
	for _, h := range hosts {
		rh := results.Host{Name: h.Name, Address: h.Address}
		if f := facts[h.Name]; f != nil {
			rh.EngineVersion, rh.Docker0Subnet, rh.Docker0Gateway, rh.SwarmRole = f.EngineVersion, f.Docker0Subnet, f.Docker0Gateway, f.SwarmRole
			for _, p := range f.Problems {
				doc.Findings = append(doc.Findings, results.Finding{Severity: results.SeverityError, Host: h.Name, Message: p})
			}
		}
		if err := down[h.Name]; err != nil {
			rh.Error = err.Error()
			doc.Findings = append(doc.Findings, results.Finding{Severity: results.SeverityError, Host: h.Name, Message: "unreachable: " + err.Error()})
		}
		doc.Hosts = append(doc.Hosts, rh)
	}
}

// addPlan adds the address plan's and the capabilities' findings and a row
// per network with its subnet (the bridge's is the first host's docker0).
func addPlan(doc *results.Document, bp *blueprint.Blueprint) {
	for _, f := range bp.Plan.Findings {
		doc.Findings = append(doc.Findings, results.Finding{Severity: f.Severity, Host: f.Host, Message: f.Message})
	}
	doc.Findings = append(doc.Findings, bp.Findings...)
	for _, n := range bp.Networks {
		rn := results.Network{Name: n.Name, Driver: n.Network.Driver, Scope: n.Scope}
		if n.Subnet.IsValid() {
			rn.Subnet = n.Subnet.String()
		} else if n.Default && n.Driver.Traits().Builtin == "bridge" && len(doc.Hosts) > 0 {
			rn.Subnet = doc.Hosts[0].Docker0Subnet
		}
		if n.SubnetIPv6.IsValid() {
			rn.SubnetIPv6 = n.SubnetIPv6.String()
		}
		doc.Networks = append(doc.Networks, rn)
	}
}

// conclude puts the probes in the document with their summary, diagnoses
// and (if asked) the doctor's notes on ambiguous failures.
func (r *Runner) conclude(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, doc *results.Document, probes []results.Probe, start time.Time) {
	doc.Probes = probes
	doc.Summarize()
	doc.Diagnoses = diagnose.Classify(doc)
	r.doctorAmbiguous(ctx, c, hosts, doc)
	doc.DurationMS = time.Since(start).Milliseconds()
	if doc.Failed() {
		r.logger.V(1).Infof("%d of %d probes not as expected", doc.Summary.Failed, doc.Summary.Total)
	}
}
