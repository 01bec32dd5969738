package blueprint

import (
	"net/netip"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/results"
)

// Blueprint is a lab compiled for a set of hosts.
type Blueprint struct {
	Lab   *lab.Lab
	Hosts []Host
	Plan  *addrplan.Plan
	// Placed maps each workload to the hosts it runs on.
	Placed map[string][]string
	// Networks are the lab's networks in lab order, with what makes them.
	Networks []Network
	// Workloads are the lab's workloads in lab order, with their specs.
	Workloads []Workload
	// Checks are every probe the lab's expectations ask for.
	Checks []lab.Check
	// DNSRR: services resolve to their tasks' addresses instead of a
	// virtual IP (some host has no IPVS, or none is assumed).
	DNSRR bool
	// Findings say what the hosts lack (info, never a failure).
	Findings []results.Finding
	// Unmet are the lab's requirements that some host lacks: then nothing
	// is set up nor probed.
	Unmet []results.Finding
	// Image is the probe image's reference.
	Image string

	given   []Host // the hosts as the inventory gave them, before facts
	refused error  // what the hosts cannot do, and address conflicts
}

// Network is one lab network and the Docker networks that make it.
type Network struct {
	*lab.Network
	Driver netdriver.Driver
	// Subnet is the lab's or the plan's choice; zero for Docker's own.
	Subnet netip.Prefix
	// Creates are empty for Docker's own networks.
	Creates []netdriver.Create
}

type config struct {
	facts map[string]*cluster.Facts
	image string
}

// Option configures Compile.
type Option func(*config)

// WithFacts plans with what the hosts said of themselves; without it, the
// plan assumes Docker's defaults on each host.
func WithFacts(f map[string]*cluster.Facts) Option { return func(c *config) { c.facts = f } }

// WithImage names the probe image (default overlab-probe:latest).
func WithImage(ref string) Option { return func(c *config) { c.image = ref } }

// DefaultImage is the probe image's name where no reference is known yet.
const DefaultImage = "overlab-probe:latest"

// Compile builds the blueprint of l on hosts. Its error is the lab's on
// these hosts (a host reference that does not resolve); what the hosts
// cannot do is Err, so that check can still report on them.
func Compile(l *lab.Lab, hosts []Host, opts ...Option) (*Blueprint, error) {
	c := config{image: DefaultImage}
	for _, o := range opts {
		o(&c)
	}
	bp := &Blueprint{Lab: l, Hosts: hosts, Image: c.image, given: hosts}
	var err error
	if bp.Placed, err = lab.Placements(l, infos(hosts)); err != nil {
		return nil, err
	}
	if bp.Checks, err = lab.Expand(l, infos(hosts)); err != nil {
		return nil, err
	}
	return bp.Replan(c.facts), nil
}

// Replan returns the blueprint planned with the hosts' facts (nil: Docker's
// defaults assumed): what check does once the facts it gathered while
// probing are in. Placements and probes do not depend on them.
func (bp *Blueprint) Replan(facts map[string]*cluster.Facts) *Blueprint {
	out := *bp
	out.Hosts = withParents(bp.given, facts)
	out.Plan = addrplan.Compute(planInput(bp.Lab, infos(out.Hosts), facts))
	out.capabilities(facts)
	out.Networks = out.networks()
	out.Workloads = out.workloads()
	if err := out.sharedParents(); err != nil {
		out.refused = multierror.Append(out.refused, err).ErrorOrNil()
	}
	return &out
}

// capabilities records what the hosts lack; without facts, services are
// assumed to have no IPVS unless the lab requires it.
func (bp *Blueprint) capabilities(facts map[string]*cluster.Facts) {
	var capErr error
	bp.DNSRR, bp.Findings, capErr = capabilities(bp.Lab, lackingOn(bp.Hosts, facts))
	if facts == nil {
		bp.DNSRR = !requires(bp.Lab, feature.IPVS)
	}
	bp.Unmet = unmet(bp.Lab, bp.Hosts, facts)
	var errs *multierror.Error
	if capErr != nil {
		errs = multierror.Append(errs, capErr)
	}
	if perr := bp.Plan.Err(); perr != nil {
		errs = multierror.Append(errs, perr)
	}
	bp.refused = errs.ErrorOrNil()
}

// Err says why up must not apply the blueprint: what the hosts cannot do
// and the address plan's conflicts, all at once.
func (bp *Blueprint) Err() error { return bp.refused }

func requires(l *lab.Lab, n feature.Name) bool {
	for _, r := range l.Requires {
		if r == n {
			return true
		}
	}
	return false
}

// Infos are the hosts as the lab model expands them.
func (bp *Blueprint) Infos() []lab.HostInfo { return infos(bp.Hosts) }

// HostNames lists the hosts in inventory order.
func (bp *Blueprint) HostNames() []string {
	out := make([]string, len(bp.Hosts))
	for i, h := range bp.Hosts {
		out[i] = h.Name
	}
	return out
}

// Manager is the host that creates swarm-scoped networks and services in
// the commands a person types: the inventory's first manager.
func (bp *Blueprint) Manager() Host {
	for _, h := range bp.Hosts {
		if h.Role == "manager" {
			return h
		}
	}
	return bp.Hosts[0]
}
