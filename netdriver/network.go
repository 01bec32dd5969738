package netdriver

// Network scopes.
const (
	ScopeLocal = "local"
	ScopeSwarm = "swarm"
)

// Network is a Docker network a lab creates, or one of Docker's own
// (Default) that it only uses, as the lab file describes it.
type Network struct {
	Name    string `yaml:"name" json:"name"`
	Driver  string `yaml:"driver" json:"driver"`
	Subnet  string `yaml:"subnet,omitempty" json:"subnet,omitempty"`
	Gateway string `yaml:"gateway,omitempty" json:"gateway,omitempty"`
	IPRange string `yaml:"ip_range,omitempty" json:"ip_range,omitempty"`

	Attachable bool `yaml:"attachable,omitempty" json:"attachable,omitempty"`
	Encrypted  bool `yaml:"encrypted,omitempty" json:"encrypted,omitempty"`
	Internal   bool `yaml:"internal,omitempty" json:"internal,omitempty"`

	// Scope is local or swarm; derived from the driver when empty (overlay:
	// swarm; macvlan: swarm when a service uses it, else local; others: local).
	Scope string `yaml:"scope,omitempty" json:"scope,omitempty"`
	// Parent is the macvlan parent interface; empty means the interface that
	// holds the host's inventory address (or the host's macvlan_parent).
	Parent string `yaml:"parent,omitempty" json:"parent,omitempty"`
	// VLAN puts a macvlan network on the 802.1q sub-interface PARENT.VLAN of
	// each host's parent (Docker creates it, and removes it with the network).
	VLAN int `yaml:"vlan,omitempty" json:"vlan,omitempty"`
	// Mode is the ipvlan mode: l2 (default), l3 or l3s.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Hosts holds per-host options, keyed by host reference (name or $N).
	Hosts map[string]HostOptions `yaml:"hosts,omitempty" json:"hosts,omitempty"`
	// Default marks Docker's own network (bridge = docker0, host, none): used,
	// never created nor removed.
	Default bool `yaml:"default,omitempty" json:"default,omitempty"`
	// External marks a network that exists already and is someone else's
	// (a check of a user's own networks): overlab only probes it. Set in
	// code from what the engines say, never from a lab file.
	External bool `yaml:"-" json:"external,omitempty"`
}

// Made says whether overlab makes the network (neither Docker's own nor
// someone else's).
func (n *Network) Made() bool { return !n.Default && !n.External }

// HostOptions override a network's settings on one host.
type HostOptions struct {
	Parent  string `yaml:"parent,omitempty" json:"parent,omitempty"`
	IPRange string `yaml:"ip_range,omitempty" json:"ip_range,omitempty"`
}

// SwarmScoped reports whether services can attach to n.
func (n *Network) SwarmScoped() bool { return n.Scope == ScopeSwarm }
