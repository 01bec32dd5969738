package netdriver

import (
	"fmt"
	"net/netip"
	"sort"
	"sync"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/feature"
)

// Driver is one Docker network driver as overlab uses it.
type Driver interface {
	// Name is the driver's name, as the lab file and Docker write it.
	Name() string
	// Traits are the facts about the driver that the rest of overlab asks.
	Traits() Traits
	// DefaultScope is the scope of a network the lab leaves unscoped;
	// byService says whether a service attaches to it.
	DefaultScope(byService bool) string
	// Check validates the fields that depend on the driver.
	Check(n *Network) []Problem
	// Needs lists the kernel features every host needs for n.
	Needs(n *Network) []Need
	// Parts names the Docker networks besides n itself that make n (a
	// swarm macvlan's config-only networks): they are no address conflict.
	Parts(n *Network) []string
	// Creates are the Docker networks that make n, in order.
	Creates(n *Network, s Site) []Create
	// Note says, for a person typing the commands, what Creates do.
	Note(n *Network) string
	// Path is the way a packet goes between two containers of such a network.
	Path() string
}

// Traits are what the rest of overlab needs to know of a driver.
type Traits struct {
	// Builtin is the name of Docker's own network of this driver ("bridge"
	// for docker0), "" when Docker has none.
	Builtin string
	// OnlyBuiltin: the driver has Docker's own network and no other (host,
	// none): a lab network of it is always the default one.
	OnlyBuiltin bool
	// Underlay: containers take addresses of the hosts' underlay subnet,
	// each host from a range of its own (macvlan, ipvlan).
	Underlay bool
	// Tunnel: traffic between hosts goes in VXLAN (4789/udp), and peers are
	// learnt by gossip (7946), so a peer's tasks are known only once synced.
	Tunnel bool
	// HostStack: containers share their host's network stack, so they have
	// the host's name and address (host).
	HostStack bool
	// NoEndpoint: a container gets no interface of its own on it, so no
	// static address nor alias (host, none).
	NoEndpoint bool
	// PerHostSegment: each host's network is a segment of its own, so one
	// static address may be used on every host (bridge).
	PerHostSegment bool
	// OwnHostUnreachable: a container cannot reach its own host's underlay
	// address (the parent interface does not hairpin to its children).
	OwnHostUnreachable bool
	// Objects is what explain gathers on each host for such a network.
	Objects ObjectKind
}

// ObjectKind says which Linux objects carry a network on a host.
type ObjectKind string

// The object kinds explain knows how to gather.
const (
	ObjectsNone    ObjectKind = ""
	ObjectsBridge  ObjectKind = "bridge"  // a Linux bridge with veths
	ObjectsOverlay ObjectKind = "overlay" // a network namespace with br0, vxlan0 and veths
	ObjectsParent  ObjectKind = "parent"  // children of a parent interface
)

// Problem is one driver-specific thing wrong with a network's fields.
type Problem struct {
	Field   string // the lab field, e.g. "encrypted", "hosts"
	Message string
}

// Need is a kernel feature a network needs, with the error that says why
// when a host lacks it: a format of two verbs, the network's name (%q) and
// the hosts that lack it (%s).
type Need struct {
	Feature feature.Name
	Message string
}

// Site is what Creates needs of the hosts and the address plan.
type Site struct {
	// Hosts are every host of the lab, in inventory order.
	Hosts []string
	// Used are the hosts where a container of the lab attaches to the
	// network, in inventory order: a local network exists only there.
	Used []string
	// Subnet is the network's subnet (the lab's, else the plan's choice).
	Subnet netip.Prefix
	// HostRange is the range a host allocates from on an underlay network.
	HostRange func(host string) netip.Prefix
	// Options are the lab's per-host options for a host.
	Options func(host string) HostOptions
	// Parent is a host's default parent interface (the inventory's
	// macvlan_parent, else the interface that holds its address).
	Parent func(host string) string
	// Labels go on every network that may carry labels.
	Labels map[string]string
}

// Create is one Docker network to create: on Host, or once on the swarm's
// manager when Host is "".
type Create struct {
	Host    string
	Name    string
	Options network.CreateOptions
}

// OnManager reports whether the network is created once, through the swarm.
func (c Create) OnManager() bool { return c.Host == "" }

// Registry maps driver names to drivers.
type Registry struct {
	mu      sync.RWMutex
	drivers map[string]Driver
}

// NewRegistry returns a registry holding ds.
func NewRegistry(ds ...Driver) *Registry {
	r := &Registry{drivers: map[string]Driver{}}
	for _, d := range ds {
		r.Register(d)
	}
	return r
}

// Register adds d, replacing a driver of the same name.
func (r *Registry) Register(d Driver) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drivers[d.Name()] = d
}

// Unregister removes the driver called name.
func (r *Registry) Unregister(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.drivers, name)
}

// Get returns the driver called name.
func (r *Registry) Get(name string) (Driver, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.drivers[name]
	return d, ok
}

// Names lists the registered drivers in the order labs teach them.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.drivers))
	for n := range r.drivers {
		names = append(names, n)
	}
	sort.Slice(names, func(a, b int) bool { return rank(names[a]) < rank(names[b]) })
	return names
}

// order is how drivers are listed in messages: overlab's own in the order
// the labs teach them, then the rest by name.
var order = map[string]int{"overlay": 1, "macvlan": 2, "ipvlan": 3, "bridge": 4, "host": 5, "none": 6}

func rank(name string) string {
	if o, ok := order[name]; ok {
		return fmt.Sprint(o)
	}
	return "9" + name
}

// Default is the registry of the drivers overlab ships.
var Default = NewRegistry(Bridge{}, Overlay{}, NewMacvlan(), NewIpvlan(), Host{}, None{})

// Get returns the shipped (or registered) driver called name.
func Get(name string) (Driver, bool) { return Default.Get(name) }

// Of returns the driver called name; a driver overlab does not know (a
// user's network, say) is one with no traits that creates nothing.
func Of(name string) Driver {
	if d, ok := Default.Get(name); ok {
		return d
	}
	return unknown{name: name}
}

// unknown is a driver overlab does not ship: it can be probed, not made.
type unknown struct {
	base
	name string
}

func (u unknown) Name() string                  { return u.name }
func (unknown) Traits() Traits                  { return Traits{} }
func (unknown) Check(*Network) []Problem        { return nil }
func (unknown) Creates(*Network, Site) []Create { return nil }
func (u unknown) Path() string                  { return u.name + " network" }
