package lab

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/overlab/overlab/feature"
)

var (
	labName      = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	dockerName   = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	drivers      = []string{DriverOverlay, DriverMacvlan, DriverBridge, DriverHost, DriverNone}
	probeKinds   = []string{ProbeICMP, ProbeTCP, ProbeUDP, ProbeDNS, ProbeHTTP}
	reservedName = map[string]string{"bridge": DriverBridge, "host": DriverHost, "none": DriverNone}
)

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// Network returns the lab network called name, or nil.
func (l *Lab) Network(name string) *Network {
	for i := range l.Networks {
		if l.Networks[i].Name == name {
			return &l.Networks[i]
		}
	}
	return nil
}

// Workload returns the workload called name, or nil.
func (l *Lab) Workload(name string) *Workload {
	for i := range l.Workloads {
		if l.Workloads[i].Name == name {
			return &l.Workloads[i]
		}
	}
	return nil
}

// Attached reports whether w is attached to the network called name.
func (w *Workload) Attached(name string) bool {
	for _, a := range w.Networks {
		if a.Network == name {
			return true
		}
	}
	return false
}

// NetworkNames lists the networks w is attached to.
func (w *Workload) NetworkNames() []string {
	var out []string
	for _, a := range w.Networks {
		out = append(out, a.Network)
	}
	return out
}

// Replicated reports whether w is a replicated service, whose tasks land on
// hosts the lab cannot know in advance.
func (w *Workload) Replicated() bool { return w.Kind == KindService && w.Mode == ModeReplicate }

// SwarmScoped reports whether services can attach to n.
func (n *Network) SwarmScoped() bool { return n.Scope == ScopeSwarm }

// Validate reports every problem of the lab at once, each with the file, the
// line where known, the item and the field.
func (l *Lab) Validate() error {
	ps := &problems{l: l}
	if l.Name == "" {
		ps.add("name", "", "name", "required")
	} else if !labName.MatchString(l.Name) {
		ps.add("name", "", "name", "%q: use lower-case letters, digits, '-', '_' and '.'", l.Name)
	}
	for i, r := range l.Requires {
		if !feature.Known(r) {
			ps.add(fmt.Sprintf("requires[%d]", i), "", fmt.Sprintf("requires[%d]", i), "unknown kernel feature %q (known: %s)", r, strings.Join(feature.Names(), ", "))
		}
	}
	l.validateNetworks(ps)
	l.validateWorkloads(ps)
	l.validateExpect(ps)
	return ps.err()
}

func netItem(i int, n *Network) string {
	if n.Name == "" {
		return fmt.Sprintf("networks[%d]", i)
	}
	return fmt.Sprintf("network %q", n.Name)
}

func parsePrefix(s string) (netip.Prefix, string) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Sprintf("%q is not a CIDR prefix like 10.10.10.0/24", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Sprintf("%q has host bits set: did you mean %s?", s, p.Masked())
	}
	return p, ""
}

// contains reports whether inner lies entirely within outer.
func contains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

func (l *Lab) validateNetworks(ps *problems) {
	seen := map[string]bool{}
	for i := range l.Networks {
		n := &l.Networks[i]
		at := func(f string) string { return fmt.Sprintf("networks[%d].%s", i, f) }
		it := netItem(i, n)
		switch {
		case n.Name == "":
			ps.add(at("name"), it, "name", "required")
		case !dockerName.MatchString(n.Name):
			ps.add(at("name"), it, "name", "%q is not a valid Docker network name (letters, digits, '_', '.', '-')", n.Name)
		case seen[n.Name]:
			ps.add(at("name"), it, "name", "defined twice")
		}
		seen[n.Name] = true
		if n.Driver == "" {
			ps.add(at("driver"), it, "driver", "required (one of %s)", strings.Join(drivers, ", "))
			continue
		}
		if !oneOf(n.Driver, drivers) {
			ps.add(at("driver"), it, "driver", "unknown driver %q (one of %s)", n.Driver, strings.Join(drivers, ", "))
			continue
		}
		if n.Default {
			l.validateDefaultNetwork(ps, i, n)
			continue
		}
		if d, ok := reservedName[n.Name]; ok {
			ps.add(at("name"), it, "name", "%q is Docker's own %s network: set default: true to use it, or pick another name", n.Name, d)
		}
		var subnet netip.Prefix
		if n.Subnet != "" {
			var msg string
			if subnet, msg = parsePrefix(n.Subnet); msg != "" {
				ps.add(at("subnet"), it, "subnet", "%s", msg)
			}
		}
		if n.Gateway != "" {
			if g, err := netip.ParseAddr(n.Gateway); err != nil {
				ps.add(at("gateway"), it, "gateway", "%q is not an IP address", n.Gateway)
			} else if n.Subnet == "" {
				ps.add(at("gateway"), it, "gateway", "needs a subnet")
			} else if subnet.IsValid() && !subnet.Contains(g) {
				ps.add(at("gateway"), it, "gateway", "%s is outside subnet %s", g, subnet)
			}
		}
		checkRange := func(path, field, s string) (netip.Prefix, bool) {
			r, msg := parsePrefix(s)
			if msg != "" {
				ps.add(path, it, field, "%s", msg)
				return r, false
			}
			if n.Subnet == "" {
				ps.add(path, it, field, "needs a subnet (the range is carved from it)")
				return r, false
			}
			if subnet.IsValid() && !contains(subnet, r) {
				ps.add(path, it, field, "%s is outside subnet %s", r, subnet)
				return r, false
			}
			return r, true
		}
		if n.IPRange != "" {
			checkRange(at("ip_range"), "ip_range", n.IPRange)
		}
		switch n.Scope {
		case ScopeLocal, ScopeSwarm:
		default:
			ps.add(at("scope"), it, "scope", "%q: want local or swarm", n.Scope)
		}
		switch n.Driver {
		case DriverOverlay:
			if n.Scope == ScopeLocal {
				ps.add(at("scope"), it, "scope", "an overlay network is always swarm-scoped")
			}
		case DriverBridge:
			if n.Scope == ScopeSwarm {
				ps.add(at("scope"), it, "scope", "a bridge network is local to its host; use an overlay network to span hosts")
			}
		}
		if n.Encrypted && n.Driver != DriverOverlay {
			ps.add(at("encrypted"), it, "encrypted", "only overlay networks can be encrypted (IPsec between hosts)")
		}
		if n.Attachable && !(n.Driver == DriverOverlay || n.Driver == DriverMacvlan && n.Scope == ScopeSwarm) {
			ps.add(at("attachable"), it, "attachable", "only swarm-scoped networks (overlay, macvlan with scope: swarm) are attachable; containers attach to local networks anyway")
		}
		if n.VLAN != 0 && (n.VLAN < 1 || n.VLAN > 4094 || n.Driver != DriverMacvlan || strings.Contains(n.Parent, ".")) {
			ps.add(at("vlan"), it, "vlan", "%d: a VLAN id from 1 to 4094, on a macvlan network whose parent is not a sub-interface already", n.VLAN)
		}
		if n.Driver != DriverMacvlan {
			if n.Parent != "" {
				ps.add(at("parent"), it, "parent", "only macvlan networks have a parent interface")
			}
			if len(n.Hosts) > 0 {
				ps.add(at("hosts"), it, "hosts", "per-host options apply to macvlan networks only")
			}
			continue
		}
		type hr struct {
			host string
			r    netip.Prefix
		}
		var ranges []hr
		for _, h := range sortedKeys(n.Hosts) {
			o := n.Hosts[h]
			hp := at("hosts." + h)
			if msg := checkHostRef(h); msg != "" {
				ps.add(hp, it, "hosts."+h, "%s", msg)
			}
			if o.IPRange != "" {
				if r, ok := checkRange(hp+".ip_range", "hosts."+h+".ip_range", o.IPRange); ok {
					for _, prev := range ranges {
						if prev.r.Overlaps(r) {
							ps.add(hp+".ip_range", it, "hosts."+h+".ip_range", "%s overlaps host %s's range %s: each host allocates addresses from its own range, so they must not overlap", r, prev.host, prev.r)
						}
					}
					ranges = append(ranges, hr{h, r})
				}
			}
		}
	}
}

func (l *Lab) validateDefaultNetwork(ps *problems, i int, n *Network) {
	at := func(f string) string { return fmt.Sprintf("networks[%d].%s", i, f) }
	it := netItem(i, n)
	if n.Driver != DriverBridge && n.Driver != DriverHost && n.Driver != DriverNone {
		ps.add(at("default"), it, "default", "only Docker's own bridge, host and none networks are default networks, not %s", n.Driver)
		return
	}
	if n.Name != "" && reservedName[n.Name] != n.Driver {
		ps.add(at("name"), it, "name", "Docker's own %s network is called %q", n.Driver, builtinName(n.Driver))
	}
	fixed := []struct {
		field string
		set   bool
	}{
		{"subnet", n.Subnet != ""}, {"gateway", n.Gateway != ""}, {"ip_range", n.IPRange != ""},
		{"attachable", n.Attachable}, {"encrypted", n.Encrypted}, {"internal", n.Internal},
		{"parent", n.Parent != ""}, {"hosts", len(n.Hosts) > 0},
	}
	for _, f := range fixed {
		if f.set {
			ps.add(at(f.field), it, f.field, "Docker's own %s network is used as it is; it cannot be configured here (docker0's subnet is set by dockerd's bip option)", n.Driver)
		}
	}
	if n.Scope != ScopeLocal {
		ps.add(at("scope"), it, "scope", "Docker's own networks are local")
	}
}

func builtinName(driver string) string {
	for name, d := range reservedName {
		if d == driver {
			return name
		}
	}
	return driver
}

// checkHostRef checks the syntax of a host reference: a name or $N.
func checkHostRef(ref string) string {
	if strings.HasPrefix(ref, "$") {
		if n, err := strconv.Atoi(ref[1:]); err != nil || n < 1 {
			return fmt.Sprintf("%q: a positional host reference is $1, $2, ... (the inventory's hosts in order)", ref)
		}
		return ""
	}
	switch ref {
	case "":
		return "empty host reference"
	case HostSelf, HostOthers, HostAll:
		return fmt.Sprintf("%q is only meaningful in an expectation's to.host", ref)
	}
	return ""
}

func (l *Lab) validateWorkloads(ps *problems) {
	seen := map[string]bool{}
	for i := range l.Workloads {
		w := &l.Workloads[i]
		at := func(f string) string { return fmt.Sprintf("workloads[%d].%s", i, f) }
		it := fmt.Sprintf("workload %q", w.Name)
		if w.Name == "" {
			it = fmt.Sprintf("workloads[%d]", i)
		}
		switch {
		case w.Name == "":
			ps.add(at("name"), it, "name", "required")
		case !dockerName.MatchString(w.Name) || len(w.Name) > 63:
			ps.add(at("name"), it, "name", "%q is not a valid container or service name (letters, digits, '_', '.', '-'; at most 63)", w.Name)
		case seen[w.Name]:
			ps.add(at("name"), it, "name", "defined twice")
		}
		seen[w.Name] = true
		switch w.Kind {
		case KindService, KindContainer:
		default:
			ps.add(at("kind"), it, "kind", "%q: want service or container", w.Kind)
		}
		if w.Kind == KindContainer {
			if w.Mode != "" {
				ps.add(at("mode"), it, "mode", "only services have a mode; a container workload runs one container on each host it is placed on")
			}
			if w.Replicas != 0 {
				ps.add(at("replicas"), it, "replicas", "only replicated services have replicas; a container workload runs one container on each host it is placed on")
			}
		}
		if w.Kind == KindService {
			switch w.Mode {
			case ModeGlobal:
				if w.Replicas != 0 {
					ps.add(at("replicas"), it, "replicas", "a global service runs one task per host; replicas needs mode: replicated")
				}
			case ModeReplicate:
				if w.Replicas < 1 {
					ps.add(at("replicas"), it, "replicas", "a replicated service needs replicas >= 1")
				}
			default:
				ps.add(at("mode"), it, "mode", "%q: want global or replicated", w.Mode)
			}
		}
		if len(w.Networks) == 0 {
			ps.add(at("networks"), it, "networks", "required: name at least one network (bridge for docker0, host, none, or a lab network)")
		}
		attached := map[string]bool{}
		exclusive := ""
		for j, a := range w.Networks {
			ap := fmt.Sprintf("workloads[%d].networks[%d]", i, j)
			field := fmt.Sprintf("networks[%d]", j)
			n := l.Network(a.Network)
			if a.Network == "" {
				ps.add(ap, it, field, "network name required")
				continue
			}
			if n == nil {
				ps.add(ap, it, field, "unknown network %q (the lab defines: %s)", a.Network, strings.Join(l.networkNames(), ", "))
				continue
			}
			if attached[a.Network] {
				ps.add(ap, it, field, "attached to %q twice", a.Network)
			}
			attached[a.Network] = true
			if n.Driver == DriverHost || n.Driver == DriverNone {
				exclusive = n.Driver
			}
			if w.Kind == KindService && !n.SwarmScoped() && !n.Default {
				ps.add(ap, it, field, "a service can only attach to swarm-scoped networks; %q is a local %s network (use a container workload, an overlay, or macvlan with scope: swarm)", n.Name, n.Driver)
			}
			if a.IP != "" {
				l.validateStaticIP(ps, ap+".ip", it, field+".ip", w, n, a.IP)
			}
			if len(a.Aliases) > 0 && (n.Default || n.Driver == DriverHost || n.Driver == DriverNone) {
				ps.add(ap+".aliases", it, field+".aliases", "network-scoped aliases exist only on user-defined networks (Docker's embedded DNS), not on %q", n.Name)
			}
		}
		if exclusive != "" && len(w.Networks) > 1 {
			ps.add(at("networks"), it, "networks", "a workload on the %s network cannot join other networks", exclusive)
		}
		seenPort := map[string]bool{}
		for j, p := range w.Ports {
			pp := fmt.Sprintf("workloads[%d].ports[%d]", i, j)
			field := fmt.Sprintf("ports[%d]", j)
			if p.Published < 1 || p.Published > 65535 {
				ps.add(pp, it, field+".published", "%d is not a port (1-65535)", p.Published)
			}
			if p.Target < 1 || p.Target > 65535 {
				ps.add(pp, it, field+".target", "%d is not a port (1-65535)", p.Target)
			}
			if p.Protocol != "tcp" && p.Protocol != "udp" {
				ps.add(pp, it, field+".protocol", "%q: want tcp or udp", p.Protocol)
			}
			switch p.Mode {
			case PortModeHost:
			case PortModeIngress:
				if w.Kind != KindService {
					ps.add(pp, it, field+".mode", "ingress publishing (the routing mesh) is for services; a container publishes on its own host")
				}
			default:
				ps.add(pp, it, field+".mode", "%q: want host or ingress", p.Mode)
			}
			key := fmt.Sprintf("%d/%s", p.Published, p.Protocol)
			if seenPort[key] {
				ps.add(pp, it, field, "port %s published twice", key)
			}
			seenPort[key] = true
			if exclusive != "" {
				ps.add(pp, it, field, "ports cannot be published from the %s network (on host the container already uses the host's ports)", exclusive)
			}
		}
		for j, h := range w.Placement.Hosts {
			if msg := checkHostRef(h); msg != "" {
				ps.add(fmt.Sprintf("workloads[%d].placement.hosts[%d]", i, j), it, "placement.hosts", "%s", msg)
			}
		}
		for j, r := range w.Placement.Roles {
			if r != "manager" && r != "worker" {
				ps.add(fmt.Sprintf("workloads[%d].placement.roles[%d]", i, j), it, "placement.roles", "%q: want manager or worker", r)
			}
		}
	}
}

func (l *Lab) validateStaticIP(ps *problems, path, it, field string, w *Workload, n *Network, ip string) {
	addr, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		ps.add(path, it, field, "%q is not an IP address", ip)
	case w.Kind == KindService:
		ps.add(path, it, field, "services cannot have static addresses; use a container workload")
	case n.Default:
		ps.add(path, it, field, "static addresses work on user-defined networks only, not on Docker's %q", n.Name)
	case n.Subnet == "":
		ps.add(path, it, field, "a static address needs the network %q to have a subnet", n.Name)
	default:
		if s, msg := parsePrefix(n.Subnet); msg == "" && !s.Contains(addr) {
			ps.add(path, it, field, "%s is outside network %q's subnet %s", addr, n.Name, s)
		} else if msg == "" && n.Gateway != "" && n.Gateway == addr.String() {
			ps.add(path, it, field, "%s is the network's gateway", addr)
		}
	}
}

func (l *Lab) networkNames() []string {
	var out []string
	for _, n := range l.Networks {
		out = append(out, n.Name)
	}
	return out
}

func (l *Lab) workloadNames() []string {
	var out []string
	for _, w := range l.Workloads {
		out = append(out, w.Name)
	}
	return out
}

// ExpectNetwork is the network an expectation is about: its own network:
// field, else the one network the target workload and the source share,
// else the target workload's only network, else the source's only network.
// Empty when ambiguous (Validate reports it).
func (l *Lab) ExpectNetwork(e *Expectation) string {
	if e.Network != "" {
		return e.Network
	}
	from := l.Workload(e.From.Workload)
	to := l.Workload(e.To.Workload)
	if from == nil {
		return ""
	}
	if to != nil && !e.To.Underlay {
		var common []string
		for _, a := range to.Networks {
			if from.Attached(a.Network) {
				common = append(common, a.Network)
			}
		}
		if len(common) == 1 {
			return common[0]
		}
		if len(common) == 0 && len(to.Networks) == 1 {
			return to.Networks[0].Network
		}
		return ""
	}
	if len(from.Networks) == 1 {
		return from.Networks[0].Network
	}
	return ""
}

func (l *Lab) validateExpect(ps *problems) {
	for i := range l.Expect {
		e := &l.Expect[i]
		at := func(f string) string { return fmt.Sprintf("expect[%d].%s", i, f) }
		it := fmt.Sprintf("expect #%d", i+1)
		if l.pos != nil && !l.has(at("reachable")) {
			ps.add(fmt.Sprintf("expect[%d]", i), it, "reachable", "required: say true or false, so that the row states what it teaches")
		}
		from := l.Workload(e.From.Workload)
		switch {
		case e.From.Workload == "":
			ps.add(at("from"), it, "from.workload", "required")
		case from == nil:
			ps.add(at("from.workload"), it, "from.workload", "unknown workload %q (the lab defines: %s)", e.From.Workload, strings.Join(l.workloadNames(), ", "))
		case from.Replicated():
			ps.add(at("from.workload"), it, "from.workload", "%q is a replicated service: its tasks have no fixed host to probe from (use mode: global or a container workload)", e.From.Workload)
		}
		if h := e.From.Host; h != "" && h != HostAll {
			if h == HostSelf || h == HostOthers {
				ps.add(at("from.host"), it, "from.host", "%q is only meaningful in to.host; from.host is empty (every host), all, or a host", h)
			} else if msg := checkHostRef(h); msg != "" {
				ps.add(at("from.host"), it, "from.host", "%s", msg)
			}
		}
		t := e.To
		set := 0
		for _, s := range []string{t.Workload, t.Address, t.Name} {
			if s != "" {
				set++
			}
		}
		var to *Workload
		switch {
		case t.Underlay && (t.Address != "" || t.Name != ""):
			ps.add(at("to"), it, "to", "underlay targets hosts' own addresses: combine it with workload (the hosts running it) or nothing, not with address or name")
		case !t.Underlay && set != 1:
			ps.add(at("to"), it, "to", "set exactly one of workload, address, name or underlay")
		}
		if t.Workload != "" {
			if to = l.Workload(t.Workload); to == nil {
				ps.add(at("to.workload"), it, "to.workload", "unknown workload %q (the lab defines: %s)", t.Workload, strings.Join(l.workloadNames(), ", "))
			}
		}
		if t.Address != "" {
			if _, err := netip.ParseAddr(t.Address); err != nil {
				ps.add(at("to.address"), it, "to.address", "%q is not an IP address (use name: for a DNS name)", t.Address)
			}
		}
		if t.Host != "" {
			switch {
			case t.Workload == "" && !t.Underlay:
				ps.add(at("to.host"), it, "to.host", "only a workload or underlay target has hosts")
			case t.Host == HostSelf || t.Host == HostOthers || t.Host == HostAll:
			default:
				if msg := checkHostRef(t.Host); msg != "" {
					ps.add(at("to.host"), it, "to.host", "%s", msg)
				}
			}
		}
		if to != nil && to.Replicated() && t.Host != "" && !t.Underlay {
			ps.add(at("to.host"), it, "to.host", "%q is a replicated service: its tasks have no fixed host; leave to.host empty to reach any task", t.Workload)
		}
		if t.Port < 0 || t.Port > 65535 {
			ps.add(at("to.port"), it, "to.port", "%d is not a port (1-65535)", t.Port)
		}
		if len(e.Kinds) == 0 {
			ps.add(at("kinds"), it, "kinds", "required: one or more of %s", strings.Join(probeKinds, ", "))
		}
		seen := map[string]bool{}
		usesPort := false
		for j, k := range e.Kinds {
			kp := at(fmt.Sprintf("kinds[%d]", j))
			if !l.has(kp) {
				kp = at("kind")
			}
			if !oneOf(k, probeKinds) {
				ps.add(kp, it, "kinds", "unknown kind %q (one of %s)", k, strings.Join(probeKinds, ", "))
				continue
			}
			if seen[k] {
				ps.add(kp, it, "kinds", "%q listed twice", k)
			}
			seen[k] = true
			if k == ProbeTCP || k == ProbeUDP || k == ProbeHTTP {
				usesPort = true
			}
			if k == ProbeDNS && (t.Address != "" || t.Underlay) {
				ps.add(kp, it, "kinds", "dns resolves a name: the target must be a workload or a name")
			}
		}
		if t.Port != 0 && !usesPort && len(e.Kinds) > 0 {
			ps.add(at("to.port"), it, "to.port", "only tcp, udp and http probes use a port")
		}
		if from == nil || (t.Workload != "" && to == nil) || (!t.Underlay && set != 1) {
			continue
		}
		netName := l.ExpectNetwork(e)
		if netName == "" {
			if to != nil && !t.Underlay {
				ps.add(at("network"), it, "network", "required here: the source %q is on %s and the target %q on %s; say which network this row is about", from.Name, strings.Join(from.NetworkNames(), ", "), to.Name, strings.Join(to.NetworkNames(), ", "))
			} else {
				ps.add(at("network"), it, "network", "required here: %q is on several networks (%s); say which one this row is about", from.Name, strings.Join(from.NetworkNames(), ", "))
			}
			continue
		}
		n := l.Network(netName)
		if n == nil {
			ps.add(at("network"), it, "network", "unknown network %q (the lab defines: %s)", netName, strings.Join(l.networkNames(), ", "))
			continue
		}
		if to != nil && !t.Underlay && !to.Attached(netName) {
			ps.add(at("network"), it, "network", "target workload %q is not on network %q, so it has no address there", to.Name, netName)
		}
		if !from.Attached(netName) && e.Reachable {
			ps.add(at("network"), it, "network", "workload %q is not on network %q: from outside a network a row can only expect unreachable (isolation)", from.Name, netName)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
