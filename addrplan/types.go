package addrplan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/overlab/overlab/hostlist"
)

// Kind says what holds a subnet.
type Kind string

// Kinds of subnet owners.
const (
	KindUnderlay Kind = "underlay"        // the subnet of the interface that holds a host's inventory address
	KindRoute    Kind = "route"           // another route of a host (VPNs, other LANs); default routes are ignored
	KindDocker0  Kind = "docker0"         // Docker's default bridge of a host
	KindGWBridge Kind = "docker_gwbridge" // the bridge that gives swarm containers their way out
	KindIngress  Kind = "ingress"         // the swarm's routing-mesh network
	KindExisting Kind = "existing"        // a Docker network that already exists
	KindLab      Kind = "lab"             // a network of the lab
	KindMacvlan  Kind = "macvlan-range"   // a host's share of a lab macvlan network
)

// DefaultIngress is the subnet Docker gives the swarm's ingress network.
var DefaultIngress = netip.MustParsePrefix("10.0.0.0/24")

// DefaultPools are where free subnets are picked from, in order.
var DefaultPools = []netip.Prefix{
	netip.MustParsePrefix("10.200.0.0/16"),
	netip.MustParsePrefix("172.28.0.0/14"),
}

// DefaultPoolBits is the size of a picked subnet.
const DefaultPoolBits = 24

// DefaultHint ends a conflict message: where the user fixes it.
const DefaultHint = "(set subnet: on the network in the lab file)"

// Host is what the plan needs to know of one host.
type Host struct {
	Name    string
	Address netip.Addr
	// Underlay is the prefix of the interface holding Address.
	Underlay netip.Prefix
	// Routes are the host's other routed prefixes; /0 is ignored.
	Routes []netip.Prefix
	// Docker0 and GWBridge are zero when absent.
	Docker0  netip.Prefix
	GWBridge netip.Prefix
}

// Existing is a Docker network found on a host (Host empty: swarm-scoped).
type Existing struct {
	Name     string
	Driver   string
	Underlay bool // on the hosts' underlay, like a lab macvlan network
	Prefix   netip.Prefix
	Host     string
}

// Request is a lab network. A zero Subnet asks the plan to choose one (for
// macvlan: the hosts' underlay).
type Request struct {
	Name   string
	Driver string // for messages
	// Underlay: its containers take addresses of the hosts' underlay
	// subnet (macvlan), each host from a range of its own; any other
	// network needs room of its own.
	Underlay bool
	Subnet   netip.Prefix
	Gateway  netip.Addr
	// IPRange (macvlan) bounds where per-host ranges are carved; zero means
	// the upper half of the subnet.
	IPRange netip.Prefix
	// HostRanges (macvlan) are ranges fixed by the lab, by host name.
	HostRanges map[string]netip.Prefix
	// Own names existing Docker networks that are this network itself (from a
	// previous run, or its per-host config-only parts): they are no conflict.
	Own []string
	// IPv6 asks for an IPv6 subnet too: SubnetIPv6, or one the plan
	// chooses; NoIPv4 leaves IPv4 out (an IPv6-only network).
	IPv6       bool
	SubnetIPv6 netip.Prefix
	NoIPv4     bool
}

// Input is every subnet in play.
type Input struct {
	Hosts []Host
	// Ingress is the swarm's ingress subnet when a swarm exists or will;
	// zero for none.
	Ingress  netip.Prefix
	Existing []Existing
	Networks []Request
}

// Subnet is one prefix with its owner.
type Subnet struct {
	Prefix netip.Prefix
	Kind   Kind
	Name   string   // network name for existing, lab and macvlan-range
	Hosts  []string // hosts holding it; empty: cluster-wide
}

// Owner describes who holds the subnet, for messages.
func (s Subnet) Owner() string {
	on := ""
	switch len(s.Hosts) {
	case 0:
	case 1:
		on = fmt.Sprintf(" on host %q", s.Hosts[0])
	default:
		on = " on hosts " + hostlist.Join(s.Hosts)
	}
	switch s.Kind {
	case KindUnderlay:
		return fmt.Sprintf("the underlay network %s%s", s.Prefix, on)
	case KindRoute:
		return fmt.Sprintf("the route to %s%s", s.Prefix, on)
	case KindDocker0:
		return fmt.Sprintf("docker0 %s%s", s.Prefix, on)
	case KindGWBridge:
		return fmt.Sprintf("docker_gwbridge %s%s", s.Prefix, on)
	case KindIngress:
		return fmt.Sprintf("the swarm's ingress network %s", s.Prefix)
	case KindExisting:
		if len(s.Hosts) == 0 {
			on = " in the swarm"
		}
		return fmt.Sprintf("the existing network %q %s%s", s.Name, s.Prefix, on)
	case KindLab:
		return fmt.Sprintf("lab network %q %s", s.Name, s.Prefix)
	case KindMacvlan:
		return fmt.Sprintf("the macvlan range %s of lab network %q%s", s.Prefix, s.Name, on)
	}
	return fmt.Sprintf("%s %s%s", s.Kind, s.Prefix, on)
}

// Severities of findings (the same strings as results.Severity*).
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// Finding is a fact worth reporting.
type Finding struct {
	Severity string
	Host     string // empty when it concerns several hosts
	Message  string
}

// Conflict is an overlap that forbids creating the lab.
type Conflict struct {
	Network string // the lab network at fault
	With    Subnet
	Message string
}

// Plan is the outcome.
type Plan struct {
	// Subnets has every lab network's subnet: given, reused or chosen.
	Subnets map[string]netip.Prefix
	// Chosen says which of Subnets the plan picked.
	Chosen map[string]bool
	// MacvlanRanges has, per macvlan network, each host's range.
	MacvlanRanges map[string]map[string]netip.Prefix
	// SubnetsIPv6 has every IPv6 network's IPv6 subnet, given, reused or
	// chosen (ChosenIPv6).
	SubnetsIPv6 map[string]netip.Prefix
	ChosenIPv6  map[string]bool
	// Conflicts forbid going on; Findings holds them too (severity error)
	// along with the other facts.
	Conflicts []Conflict
	Findings  []Finding
}

// Err returns every conflict as one error, or nil.
func (p *Plan) Err() error {
	if len(p.Conflicts) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(p.Conflicts))
	for _, c := range p.Conflicts {
		msgs = append(msgs, c.Message)
	}
	return &ConflictError{Messages: msgs}
}

// ConflictError lists the conflicts of a plan, one per line.
type ConflictError struct{ Messages []string }

func (e *ConflictError) Error() string {
	if len(e.Messages) == 1 {
		return "address plan: " + e.Messages[0]
	}
	return fmt.Sprintf("address plan: %d conflicts:\n  %s", len(e.Messages), strings.Join(e.Messages, "\n  "))
}
