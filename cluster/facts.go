package cluster

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/feature"
)

// Facts is what a host is: later steps (swarm, address plan, networks,
// checks) read it instead of asking the host again.
type Facts struct {
	Name     string `json:"name"`
	Address  string `json:"address"` // the inventory's lab address
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Kernel   string `json:"kernel"`
	Arch     string `json:"arch"` // GOARCH names: amd64, arm64

	EngineID      string `json:"engine_id,omitempty"` // docker info's ID: a new engine has a new one
	EngineName    string `json:"engine_name"`
	EngineVersion string `json:"engine_version"`
	APIVersion    string `json:"api_version"` // negotiated with the engine

	SwarmState     string   `json:"swarm_state"` // inactive | pending | active | error | locked
	SwarmRole      string   `json:"swarm_role"`  // "", worker, manager
	SwarmNodeID    string   `json:"swarm_node_id,omitempty"`
	SwarmClusterID string   `json:"swarm_cluster_id,omitempty"` // managers only: workers cannot see it
	SwarmManagers  []string `json:"swarm_managers,omitempty"`   // manager addresses this node knows

	Docker0Subnet  string `json:"docker0_subnet,omitempty"`
	Docker0Gateway string `json:"docker0_gateway,omitempty"`
	GWBridgeSubnet string `json:"gwbridge_subnet,omitempty"` // docker_gwbridge if present

	UnderlayIface  string `json:"underlay_iface,omitempty"` // the interface that holds Address
	UnderlayMTU    int    `json:"underlay_mtu,omitempty"`
	UnderlaySubnet string `json:"underlay_subnet,omitempty"` // CIDR of that address

	Addresses  []netip.Prefix  `json:"addresses,omitempty"` // every address on the host's interfaces, with its prefix length
	Interfaces []InterfaceAddr `json:"interfaces,omitempty"`
	// InterfaceMTU is every interface's MTU, by name.
	InterfaceMTU map[string]int `json:"interface_mtu,omitempty"`
	Routes       []netip.Prefix `json:"routes,omitempty"` // routed destinations
	Networks     []NetworkInfo  `json:"networks,omitempty"`
	Features     Features       `json:"features"`

	// Problems found while gathering: each also makes GatherFacts fail.
	Problems []string `json:"problems,omitempty"`

	hostOutput []byte // what the facts script printed
}

// HostOutput is what the host's facts script printed, for WithHostOutput.
func (f *Facts) HostOutput() []byte { return f.hostOutput }

// FactsOption changes how GatherFacts asks.
type FactsOption func(*factsConfig)

type factsConfig struct{ hostOutput []byte }

// WithHostOutput gives GatherFacts what the host's facts script printed a
// moment ago (HostOutput of an earlier gather): only the engine is asked
// then. The shell session is most of a gather's time (sshd's session set-up
// and the login shell's start-up files); the caller decides how recent is
// recent enough, and checks EngineID and Kernel against what it cached.
func WithHostOutput(out []byte) FactsOption { return func(c *factsConfig) { c.hostOutput = out } }

// InterfaceAddr is one address and the interface that holds it.
type InterfaceAddr struct {
	Iface  string       `json:"iface"`
	Prefix netip.Prefix `json:"prefix"`
}

// NetworkInfo is an existing Docker network of the host.
type NetworkInfo struct {
	Name    string   `json:"name"`
	ID      string   `json:"id"`
	Driver  string   `json:"driver"`
	Scope   string   `json:"scope"`
	Subnets []string `json:"subnets,omitempty"`
}

// Features says which of the kernel features in feature.All a host has.
// Detail says, per feature, which evidence decided it (module loaded, built
// in, kernel config, symbol), so that a surprising answer can be checked by
// hand. As JSON or YAML: {"vxlan": true, ..., "detail": {...}}.
type Features struct {
	Present map[feature.Name]bool
	Detail  map[feature.Name]string
}

// Has says whether the host has feature n.
func (f Features) Has(n feature.Name) bool { return f.Present[n] }

// Lacking lists the features the host does not have, in feature.All order.
func (f Features) Lacking() []feature.Feature {
	var out []feature.Feature
	for _, ft := range feature.All {
		if !f.Has(ft.Name) {
			out = append(out, ft)
		}
	}
	return out
}

// NewFeatures is a Features with the given features present.
func NewFeatures(present ...feature.Name) Features {
	f := Features{Present: map[feature.Name]bool{}}
	for _, n := range present {
		f.Present[n] = true
	}
	return f
}

// asMap is the printed shape: every feature by name, then the evidence.
func (f Features) asMap() map[string]any {
	m := map[string]any{}
	for _, ft := range feature.All {
		m[string(ft.Name)] = f.Has(ft.Name)
	}
	if len(f.Detail) > 0 {
		m["detail"] = f.Detail
	}
	return m
}

func (f Features) MarshalJSON() ([]byte, error) { return json.Marshal(f.asMap()) }
func (f Features) MarshalYAML() (any, error)    { return f.asMap(), nil }

func (f *Features) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*f = Features{Present: map[feature.Name]bool{}}
	for _, ft := range feature.All {
		var v bool
		if raw, ok := m[string(ft.Name)]; ok {
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("features.%s: %w", ft.Name, err)
			}
		}
		f.Present[ft.Name] = v
	}
	if raw, ok := m["detail"]; ok {
		return json.Unmarshal(raw, &f.Detail)
	}
	return nil
}

// AddressNotOnHostError: the inventory address is on none of the host's
// interfaces, typically an address of another NIC or a NAT address.
type AddressNotOnHostError struct {
	Host, Address string
	Found         []string // the host's addresses
}

func (e *AddressNotOnHostError) Error() string {
	return fmt.Sprintf("address %s of %s is on none of its interfaces (it has %s): `address` must be the host's own address on the lab network; "+
		"put where SSH connects (a NAT forward, another NIC) in ssh_host instead", e.Address, e.Host, strings.Join(e.Found, ", "))
}

//go:embed facts.sh
var factsTemplate string

// factsScript asks for the evidence of every feature in package feature.
var factsScript = feature.Script(factsTemplate)

// Facts gathers every node's facts concurrently. Facts of hosts that
// failed part-way are kept next to the errors. Each onHost callback hears
// about each host as soon as its facts are in (progress, say); callbacks are
// called one at a time.
func (c *Cluster) Facts(ctx context.Context, onHost ...func(host string, f *Facts, err error)) (map[string]*Facts, error) {
	return c.FactsBy(ctx, func(ctx context.Context, n *Node) (*Facts, error) { return GatherFacts(ctx, n) }, onHost...)
}

// FactsBy is Facts with another way to gather each node's (a cache that
// reuses recent shell facts, say).
func (c *Cluster) FactsBy(ctx context.Context, gather func(context.Context, *Node) (*Facts, error), onHost ...func(host string, f *Facts, err error)) (map[string]*Facts, error) {
	var mu sync.Mutex
	out := map[string]*Facts{}
	err := c.Each(ctx, CollectAll, func(ctx context.Context, n *Node) error {
		f, err := gather(ctx, n)
		mu.Lock()
		defer mu.Unlock()
		if f != nil {
			out[n.Name()] = f
		}
		for _, fn := range onHost {
			fn(n.Name(), f, err)
		}
		return err
	})
	return out, err
}

// GatherFacts asks the host in one shell round trip and its engine in three
// concurrent API calls. It returns the facts it could gather even on error.
func GatherFacts(ctx context.Context, n *Node, opts ...FactsOption) (*Facts, error) {
	var cfg factsConfig
	for _, o := range opts {
		o(&cfg)
	}
	f := &Facts{Name: n.Name(), Address: n.Host.Address}
	var (
		wg        sync.WaitGroup
		script    []byte
		scriptErr error
		info      system.Info
		infoErr   error
		ver       types.Version
		verErr    error
		nets      []network.Summary
		netsErr   error
	)
	wg.Add(3)
	if script = cfg.hostOutput; script == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			script, scriptErr = n.RunInput(ctx, "sh -s", strings.NewReader(factsScript))
		}()
	}
	d := n.Docker()
	go func() { defer wg.Done(); info, infoErr = d.Info(ctx) }()
	go func() { defer wg.Done(); ver, verErr = d.ServerVersion(ctx) }()
	go func() { defer wg.Done(); nets, netsErr = d.NetworkList(ctx, network.ListOptions{}) }()
	wg.Wait()

	var merr *multierror.Error
	if scriptErr != nil {
		merr = multierror.Append(merr, fmt.Errorf("host facts: %w", scriptErr))
	} else {
		f.hostOutput = script
		applyHostFacts(f, parseSections(string(script)))
	}
	for _, err := range []error{infoErr, verErr, netsErr} {
		if err != nil {
			merr = multierror.Append(merr, fmt.Errorf("docker engine: %w", err))
			break // the three fail together, for the same reason
		}
	}
	if infoErr == nil {
		if cfg.hostOutput != nil && info.KernelVersion != "" && f.Kernel != "" && info.KernelVersion != f.Kernel {
			// Rebooted into another kernel since: features may differ.
			merr = multierror.Append(merr, fmt.Errorf("host facts given are stale: the kernel is %s, not %s", info.KernelVersion, f.Kernel))
		}
		applyInfo(f, info)
	}
	if verErr == nil {
		f.EngineName = ver.Platform.Name
		if f.EngineName == "" {
			f.EngineName = "Docker Engine"
		}
		f.EngineVersion = ver.Version
		f.APIVersion = d.ClientVersion()
		if f.Arch == "" {
			f.Arch = ver.Arch
		}
	}
	if netsErr == nil {
		applyNetworks(f, nets)
	}
	if scriptErr == nil {
		if err := checkAddress(ctx, f); err != nil {
			f.Problems = append(f.Problems, err.Error())
			merr = multierror.Append(merr, err)
		}
	}
	return f, merr.ErrorOrNil()
}

func applyInfo(f *Facts, info system.Info) {
	f.EngineID = info.ID
	f.SwarmState = string(info.Swarm.LocalNodeState)
	f.SwarmNodeID = info.Swarm.NodeID
	if f.SwarmState == "active" {
		f.SwarmRole = "worker"
		if info.Swarm.ControlAvailable {
			f.SwarmRole = "manager"
		}
	}
	if info.Swarm.Cluster != nil {
		f.SwarmClusterID = info.Swarm.Cluster.ID
	}
	for _, p := range info.Swarm.RemoteManagers {
		f.SwarmManagers = append(f.SwarmManagers, p.Addr)
	}
	if f.OS == "" {
		f.OS = info.OperatingSystem
	}
	if f.Kernel == "" {
		f.Kernel = info.KernelVersion
	}
}

func applyNetworks(f *Facts, nets []network.Summary) {
	for _, nw := range nets {
		ni := NetworkInfo{Name: nw.Name, ID: nw.ID, Driver: nw.Driver, Scope: nw.Scope}
		for _, c := range nw.IPAM.Config {
			if c.Subnet != "" {
				ni.Subnets = append(ni.Subnets, c.Subnet)
			}
		}
		f.Networks = append(f.Networks, ni)
		switch {
		case nw.Name == "bridge" && nw.Driver == "bridge":
			for _, c := range nw.IPAM.Config {
				if p, err := netip.ParsePrefix(c.Subnet); err == nil && p.Addr().Is4() {
					f.Docker0Subnet, f.Docker0Gateway = c.Subnet, c.Gateway
					break
				}
			}
		case nw.Name == "docker_gwbridge" && len(ni.Subnets) > 0:
			f.GWBridgeSubnet = ni.Subnets[0]
		}
	}
	// The default bridge may list no gateway: docker0's own address is it.
	if f.Docker0Gateway == "" || f.Docker0Subnet == "" {
		for _, ia := range f.Interfaces {
			if ia.Iface == "docker0" && ia.Prefix.Addr().Is4() {
				if f.Docker0Gateway == "" {
					f.Docker0Gateway = ia.Prefix.Addr().String()
				}
				if f.Docker0Subnet == "" {
					f.Docker0Subnet = ia.Prefix.Masked().String()
				}
			}
		}
	}
}

// checkAddress finds the interface holding the inventory address, or says
// clearly that none does.
func checkAddress(ctx context.Context, f *Facts) error {
	want := map[netip.Addr]bool{}
	if a, err := netip.ParseAddr(f.Address); err == nil {
		want[a.Unmap()] = true
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", f.Address)
		if err != nil {
			return fmt.Errorf("resolving address %s of %s: %w", f.Address, f.Name, err)
		}
		for _, a := range addrs {
			want[a.Unmap()] = true
		}
	}
	for _, ia := range f.Interfaces {
		if want[ia.Prefix.Addr().Unmap()] {
			f.UnderlayIface = ia.Iface
			f.UnderlaySubnet = ia.Prefix.Masked().String()
			f.UnderlayMTU = f.InterfaceMTU[ia.Iface]
			return nil
		}
	}
	var found []string
	for _, ia := range f.Interfaces {
		if !ia.Prefix.Addr().IsLoopback() && !ia.Prefix.Addr().IsLinkLocalUnicast() {
			found = append(found, ia.Prefix.String()+" on "+ia.Iface)
		}
	}
	return &AddressNotOnHostError{Host: f.Name, Address: f.Address, Found: found}
}
