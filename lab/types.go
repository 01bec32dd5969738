package lab

import (
	"fmt"

	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/netdriver"
)

// Network scopes.
const (
	ScopeLocal = netdriver.ScopeLocal
	ScopeSwarm = netdriver.ScopeSwarm
)

// Workload kinds and service modes.
const (
	KindService   = "service"
	KindContainer = "container"
	ModeGlobal    = "global"
	ModeReplicate = "replicated"
)

// Published port modes.
const (
	PortModeHost    = "host"
	PortModeIngress = "ingress"
)

// Where a published port listens on its host (Port.Bind).
const (
	BindLab = "lab" // the host's lab address (its inventory address): the default
	BindAll = "all" // every address of the host, as docker run -p does by default
)

// Probe kinds an expectation may ask for (the same names as results.Kind*).
const (
	ProbeICMP = "icmp"
	ProbeTCP  = "tcp"
	ProbeUDP  = "udp"
	ProbeDNS  = "dns"
	ProbeHTTP = "http"
)

// Host placeholders in expectations.
const (
	HostSelf   = "self"   // to.host: the host the probe runs from
	HostOthers = "others" // to.host: every host but the one the probe runs from
	HostAll    = "all"    // from.host / to.host: every host the workload runs on
)

// Lab is one lab file.
type Lab struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Requires names kernel features (feature.Name: ipvs, esp, 8021q, ...)
	// that every host needs for the lab to mean anything. On hosts that
	// lack one, up sets nothing up and check reports a finding, not a
	// failure.
	Requires  []feature.Name `yaml:"requires,omitempty" json:"requires,omitempty"`
	Networks  []Network      `yaml:"networks,omitempty" json:"networks,omitempty"`
	Workloads []Workload     `yaml:"workloads,omitempty" json:"workloads,omitempty"`
	Expect    []Expectation  `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Routes are routes the lab adds on hosts after up (routes.go); Notes
	// are what it says beside its rows, some for some engines (notes.go).
	Routes []Route `yaml:"routes,omitempty" json:"routes,omitempty"`
	Notes  []Note  `yaml:"notes,omitempty" json:"notes,omitempty"`
	// Faults break the network on purpose for the check; ExpectDiagnoses
	// are the diagnoses the check must then make (faults.go).
	Faults          []Fault           `yaml:"faults,omitempty" json:"faults,omitempty"`
	ExpectDiagnoses []ExpectDiagnosis `yaml:"expect_diagnoses,omitempty" json:"expect_diagnoses,omitempty"`

	// Source is the file the lab came from ("builtin:NAME" for built-in labs);
	// set by the loader, not decoded.
	Source string `yaml:"-" json:"-"`

	// Labels are more labels for every object made for the lab, beside
	// the lab label (who made a check's temporary probes). Set in code.
	Labels map[string]string `yaml:"-" json:"-"`

	// pos maps a field path (networks[0].subnet) to its line in Source.
	pos map[string]int
}

// Network is a Docker network the lab creates or uses; its driver-specific
// rules live in package netdriver.
type Network = netdriver.Network

// HostOptions override a network's settings on one host.
type HostOptions = netdriver.HostOptions

// Workload is a set of containers: a swarm service or plain containers.
type Workload struct {
	Name string `yaml:"name" json:"name"`
	// Image defaults to the probe image (empty here; the engine fills it).
	Image string `yaml:"image,omitempty" json:"image,omitempty"`
	// Kind is service or container (default container).
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Mode is global or replicated (services only; default global, or
	// replicated when replicas is set).
	Mode     string       `yaml:"mode,omitempty" json:"mode,omitempty"`
	Replicas int          `yaml:"replicas,omitempty" json:"replicas,omitempty"`
	Networks []Attachment `yaml:"networks,omitempty" json:"networks,omitempty"`
	Ports    []Port       `yaml:"ports,omitempty" json:"ports,omitempty"`
	// Placement selects the hosts; empty means every host. A container
	// workload runs one container on each selected host.
	Placement Placement `yaml:"placement,omitempty" json:"placement,omitempty"`
	Command   []string  `yaml:"command,omitempty" json:"command,omitempty"`

	// Constraints, when set, are the service's placement constraints as they
	// are, instead of overlab's own node labels: a swarm overlab did not
	// make has none of them. Set in code, never from a lab file.
	Constraints []string `yaml:"-" json:"-"`
	// Hardened runs the probe as a guest on someone else's network: a
	// read-only root filesystem, an unprivileged user without capabilities,
	// and CPU and memory limits. Set in code, never from a lab file.
	Hardened bool `yaml:"-" json:"-"`
}

// Attachment connects a workload to a network. In YAML a plain string is the
// network name.
type Attachment struct {
	Network string `yaml:"network" json:"network"`
	// IP is a static address (containers on a user-defined network with a subnet).
	IP      string   `yaml:"ip,omitempty" json:"ip,omitempty"`
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
}

// Port is a published port. In YAML "5000:80" or "5000:80/udp" is short for
// published, target and protocol.
type Port struct {
	Published int    `yaml:"published" json:"published"`
	Target    int    `yaml:"target" json:"target"`
	Protocol  string `yaml:"protocol,omitempty" json:"protocol,omitempty"` // tcp (default) or udp
	// Mode is host (default: works without IPVS) or ingress (the routing
	// mesh; services only).
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Bind is where the port listens: lab (default), the host's lab address
	// only, or all, every address of the host. A service's port listens on
	// every address whatever is asked (swarm has no bind address), so a
	// service must say all.
	Bind string `yaml:"bind,omitempty" json:"bind,omitempty"`
}

// Placement restricts a workload to hosts by reference or by swarm role.
type Placement struct {
	Hosts []string `yaml:"hosts,omitempty" json:"hosts,omitempty"`
	Roles []string `yaml:"roles,omitempty" json:"roles,omitempty"`
	// Engines keeps the workload to hosts whose engine version is in the
	// range (">= 28.0"): a feature only some generations have.
	Engines string `yaml:"engines,omitempty" json:"engines,omitempty"`
}

// IsZero lets yaml omit an empty placement.
func (p Placement) IsZero() bool { return len(p.Hosts) == 0 && len(p.Roles) == 0 && p.Engines == "" }

// Expectation is one row of what the lab teaches: from a workload's
// containers, reach a target, by some kinds of probe, on a network.
type Expectation struct {
	From    Endpoint `yaml:"from" json:"from"`
	To      Target   `yaml:"to" json:"to"`
	Network string   `yaml:"network,omitempty" json:"network,omitempty"`
	// Kind is shorthand for a single entry of Kinds; merged into Kinds on load.
	Kind      string   `yaml:"kind,omitempty" json:"-"`
	Kinds     []string `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	Reachable bool     `yaml:"reachable" json:"reachable"`
	Note      string   `yaml:"note,omitempty" json:"note,omitempty"`
	// Engines limits the row to engine versions (">= 28.0"): what the
	// engines of another generation do is another row (engines.go).
	Engines string `yaml:"engines,omitempty" json:"engines,omitempty"`
	// Family is shorthand for a single entry of Families, merged on load;
	// Families are the address families probed (families.go).
	Family   string   `yaml:"family,omitempty" json:"-"`
	Families []string `yaml:"families,omitempty" json:"families,omitempty"`
	// UnderFaults: the row says what the probes of the lab's other rows
	// do while its faults are on (faults.go).
	UnderFaults bool `yaml:"under_faults,omitempty" json:"under_faults,omitempty"`
}

// Endpoint is where probes start: a workload's container on some hosts.
type Endpoint struct {
	Workload string `yaml:"workload" json:"workload"`
	// Host is empty or "all" (every host the workload runs on) or one host
	// reference (name or $N).
	Host string `yaml:"host,omitempty" json:"host,omitempty"`
}

// Target is what probes reach: exactly one of Workload, Address, Name, or
// Underlay (alone or with Workload: the underlay address of the hosts that
// run it).
type Target struct {
	Workload string `yaml:"workload,omitempty" json:"workload,omitempty"`
	// Host is empty, self, others, all, or a host reference; see docs/labs.md.
	Host     string `yaml:"host,omitempty" json:"host,omitempty"`
	Address  string `yaml:"address,omitempty" json:"address,omitempty"`
	Name     string `yaml:"name,omitempty" json:"name,omitempty"`
	Underlay bool   `yaml:"underlay,omitempty" json:"underlay,omitempty"`
	// Port for tcp, udp and http; 0 means the probe's own port.
	Port int `yaml:"port,omitempty" json:"port,omitempty"`
	// Owner names what an address belongs to (a service's task on a host,
	// its virtual IP), so that the matrix shows it by name. Set in code.
	Owner Owner `yaml:"-" json:"-"`
}

// Owner is what an address target belongs to.
type Owner struct {
	Workload string // a service, or a workload
	Host     string // the host it runs on; "" for a virtual IP
}

// String says what the target is in words, as the expectation tables and
// the walkthrough commands show it.
func (t Target) String() string {
	var s string
	switch {
	case t.Underlay && t.Workload != "":
		s = "underlay address of " + t.Workload + "'s hosts"
	case t.Underlay:
		s = "hosts' underlay address"
	case t.Workload != "":
		s = t.Workload
	case t.Address != "":
		s = t.Address
	default:
		s = "name " + t.Name
	}
	if t.Host != "" {
		s += " (" + t.Host + ")"
	}
	if t.Port != 0 {
		s += fmt.Sprintf(" port %d", t.Port)
	}
	return s
}

// HostInfo is what Expand needs of an inventory host.
type HostInfo struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Role    string `json:"role,omitempty"`
	// Engine is the host's engine version ("28.5.2+dfsg4"); empty when
	// unknown, which every engine range allows.
	Engine string `json:"engine,omitempty"`
}

// Target types of a Check.
const (
	TargetWorkload = "workload" // Target is the workload; the engine maps ToWorkload+ToHost to its address on Network
	TargetUnderlay = "underlay" // Target is ToHost's underlay address
	TargetAddress  = "address"  // Target is a literal address
	TargetName     = "name"     // Target is a DNS name resolved from the source container
)

// Check is one concrete probe to run: from the container of FromWorkload on
// FromHost, reach Target by Kind on Network.
type Check struct {
	Network      string `json:"network"`
	FromWorkload string `json:"from_workload"`
	FromHost     string `json:"from_host"`
	ToWorkload   string `json:"to_workload,omitempty"`
	// ToHost is empty for a replicated service target (any of its tasks) and
	// for address and name targets.
	ToHost     string `json:"to_host,omitempty"`
	Target     string `json:"target"`
	TargetType string `json:"target_type"`
	Kind       string `json:"kind"`
	// Port for tcp, udp and http; 0 means the probe's own port.
	Port      int    `json:"port,omitempty"`
	Reachable bool   `json:"reachable"`
	Note      string `json:"note,omitempty"`
	// Family is the address family probed: ipv4 or ipv6.
	Family string `json:"family"`
	// Engines is the row's engine range, when it has one.
	Engines string `json:"engines,omitempty"`
	// Row is the expectation's 1-based index in the lab; Line its line in
	// the lab file (0 when unknown). They name the row when a check fails.
	Row  int `json:"row"`
	Line int `json:"line,omitempty"`
	// UnderFaults: a row under_faults set Reachable; Healthy is what the
	// lab expects without its faults.
	UnderFaults bool `json:"under_faults,omitempty"`
	Healthy     bool `json:"healthy,omitempty"`
}
