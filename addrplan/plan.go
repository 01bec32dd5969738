package addrplan

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/overlab/overlab/hostlist"
)

type options struct {
	pools  []netip.Prefix
	bits   int
	hint   string
	pools6 []netip.Prefix
	bits6  int
}

// Option configures Compute.
type Option func(*options)

// WithPools replaces DefaultPools.
func WithPools(p ...netip.Prefix) Option { return func(o *options) { o.pools = p } }

// WithPoolBits sets the prefix length of chosen subnets (default 24).
func WithPoolBits(bits int) Option { return func(o *options) { o.bits = bits } }

// WithHint replaces DefaultHint, the end of every conflict message.
func WithHint(h string) Option { return func(o *options) { o.hint = h } }

type planner struct {
	in       Input
	o        options
	env      []Subnet // what the hosts and the swarm hold
	placed   []Subnet // lab networks (and macvlan ranges) placed so far
	underlay map[string]bool
	plan     *Plan
}

// Compute makes the address plan. It never fails: what cannot be done is a
// Conflict (see Plan.Err).
func Compute(in Input, opts ...Option) *Plan {
	o := options{pools: DefaultPools, bits: DefaultPoolBits, hint: DefaultHint, pools6: DefaultPoolsIPv6, bits6: DefaultPoolBitsIPv6}
	for _, f := range opts {
		f(&o)
	}
	p := &planner{in: in, o: o, underlay: map[string]bool{}, plan: &Plan{
		Subnets:       map[string]netip.Prefix{},
		Chosen:        map[string]bool{},
		MacvlanRanges: map[string]map[string]netip.Prefix{},
		SubnetsIPv6:   map[string]netip.Prefix{},
		ChosenIPv6:    map[string]bool{},
	}}
	p.collect()
	p.hostFindings()
	p.placeFixed()
	p.choose()
	p.placeIPv6()
	p.macvlanRanges()
	return p.plan
}

// collect groups the environment's prefixes: the same prefix of the same
// kind on several hosts is one owner (docker0 is 172.17.0.0/16 everywhere).
func (p *planner) collect() {
	type key struct {
		kind Kind
		pfx  netip.Prefix
		name string
	}
	idx := map[key]int{}
	add := func(k Kind, pfx netip.Prefix, name, host string) {
		if !pfx.IsValid() || pfx.Bits() == 0 {
			return
		}
		pfx = pfx.Masked()
		kk := key{k, pfx, name}
		i, ok := idx[kk]
		if !ok {
			i = len(p.env)
			idx[kk] = i
			p.env = append(p.env, Subnet{Prefix: pfx, Kind: k, Name: name})
		}
		if host != "" && !contains(p.env[i].Hosts, host) {
			p.env[i].Hosts = append(p.env[i].Hosts, host)
		}
	}
	for _, h := range p.in.Hosts {
		add(KindUnderlay, h.Underlay, "", h.Name)
		for _, r := range h.Routes {
			if r.Masked() != h.Underlay.Masked() {
				add(KindRoute, r, "", h.Name)
			}
		}
	}
	for _, h := range p.in.Hosts {
		add(KindDocker0, h.Docker0, "", h.Name)
	}
	for _, h := range p.in.Hosts {
		add(KindGWBridge, h.GWBridge, "", h.Name)
	}
	add(KindIngress, p.in.Ingress, "", "")
	for _, e := range p.in.Existing {
		if e.Name == "ingress" && p.in.Ingress.IsValid() && e.Prefix.Masked() == p.in.Ingress.Masked() {
			continue
		}
		if e.Name == "bridge" || e.Name == "docker_gwbridge" {
			continue // already there as docker0 and docker_gwbridge
		}
		add(KindExisting, e.Prefix, e.Name, e.Host)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *planner) finding(sev, host, format string, args ...any) {
	p.plan.Findings = append(p.plan.Findings, Finding{Severity: sev, Host: host, Message: fmt.Sprintf(format, args...)})
}

func oneHost(s Subnet) string {
	if len(s.Hosts) == 1 {
		return s.Hosts[0]
	}
	return ""
}

// hostFindings reports problems of the hosts themselves, before the lab.
func (p *planner) hostFindings() {
	var docker0 []Subnet
	for _, s := range p.env {
		if s.Kind == KindDocker0 {
			docker0 = append(docker0, s)
		}
	}
	for _, d := range docker0 {
		if len(d.Hosts) > 1 {
			p.finding(SeverityInfo, "", "docker0 is %s on hosts %s: normal, each host's default bridge is private to it and nothing routes between them", d.Prefix, hostlist.Join(d.Hosts))
		} else {
			p.finding(SeverityInfo, oneHost(d), "docker0 is %s on host %q", d.Prefix, oneHost(d))
		}
	}
	for _, a := range p.env {
		for _, b := range p.env {
			if !a.Prefix.Overlaps(b.Prefix) || (b.Kind != KindUnderlay && b.Kind != KindRoute) {
				continue
			}
			switch a.Kind {
			case KindDocker0:
				p.finding(SeverityError, oneHost(a), "%s overlaps %s: containers on docker0 cannot reach those addresses; give Docker another bridge subnet (\"bip\" in /etc/docker/daemon.json)", a.Owner(), b.Owner())
			case KindGWBridge:
				p.finding(SeverityError, oneHost(a), "%s overlaps %s: swarm containers cannot reach those addresses; recreate docker_gwbridge with another subnet", a.Owner(), b.Owner())
			case KindIngress:
				p.finding(SeverityError, "", "%s overlaps %s: recreate the ingress network with another subnet (docker network rm ingress; docker network create --driver overlay --ingress --subnet ...)", a.Owner(), b.Owner())
			}
		}
	}
	for _, a := range p.env {
		if a.Kind != KindIngress {
			continue
		}
		for _, b := range p.env {
			if (b.Kind == KindDocker0 || b.Kind == KindGWBridge) && a.Prefix.Overlaps(b.Prefix) {
				p.finding(SeverityError, oneHost(b), "%s overlaps %s", a.Owner(), b.Owner())
			}
		}
	}
}

// blockers are the subnets r must not overlap.
func (p *planner) blockers(r Request) []Subnet {
	own := map[string]bool{r.Name: true}
	for _, n := range r.Own {
		own[n] = true
	}
	var out []Subnet
	for _, s := range p.env {
		if s.Kind == KindExisting && own[s.Name] {
			continue
		}
		// A network on the underlay (macvlan) shares the wire by design.
		if r.Underlay && (s.Kind == KindUnderlay || s.Kind == KindRoute) {
			continue
		}
		// Another network on the same underlay is the same situation.
		if r.Underlay && s.Kind == KindExisting && p.existingUnderlay(s.Name) {
			continue
		}
		out = append(out, s)
	}
	for _, s := range p.placed {
		// Macvlan networks on one underlay share it; their host ranges
		// (KindMacvlan) must still be apart.
		if r.Underlay && s.Kind == KindLab && p.underlay[s.Name] {
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *planner) existingUnderlay(name string) bool {
	for _, e := range p.in.Existing {
		if e.Name == name {
			return e.Underlay
		}
	}
	return false
}

func (p *planner) conflict(r Request, pfx netip.Prefix, with Subnet) {
	p.conflictHint(r, pfx, with, p.o.hint)
}

// conflictHint is conflict with the message's end given.
func (p *planner) conflictHint(r Request, pfx netip.Prefix, with Subnet, hint string) {
	suggest := p.free(pfx.Bits(), pfx.Addr().Is4(), p.blockers(r))
	msg := fmt.Sprintf("lab network %q subnet %s overlaps %s", r.Name, pfx, with.Owner())
	if suggest.IsValid() {
		msg += fmt.Sprintf("; pick a free one such as %s %s", suggest, hint)
	} else {
		msg += "; pick a free subnet " + hint
	}
	p.plan.Conflicts = append(p.plan.Conflicts, Conflict{Network: r.Name, With: with, Message: msg})
	p.finding(SeverityError, oneHost(with), "%s", msg)
}

func (p *planner) place(r Request, pfx netip.Prefix, chosen bool) {
	p.plan.Subnets[r.Name] = pfx
	if chosen {
		p.plan.Chosen[r.Name] = true
	}
	p.placed = append(p.placed, Subnet{Prefix: pfx, Kind: KindLab, Name: r.Name})
	if r.Underlay {
		p.underlay[r.Name] = true
	}
}

// placeFixed places the networks whose subnet is given (or implied: the
// underlay for macvlan, the existing network of the same name), refusing
// overlaps, before any free subnet is chosen around them.
func (p *planner) placeFixed() {
	for _, r := range p.in.Networks {
		if r.NoIPv4 {
			continue // IPv6 only: placeIPv6 places it
		}
		pfx := r.Subnet
		switch {
		case pfx.IsValid():
			pfx = pfx.Masked()
		case r.Underlay:
			var ok bool
			if pfx, ok = p.commonUnderlay(r); !ok {
				continue
			}
		default:
			if e, ok := p.existing(r.Name, true); ok {
				p.place(r, e, false)
			}
			continue
		}
		if e, ok := p.existing(r.Name, pfx.Addr().Is4()); ok && e != pfx {
			p.plan.Conflicts = append(p.plan.Conflicts, Conflict{Network: r.Name, With: Subnet{Prefix: e, Kind: KindExisting, Name: r.Name},
				Message: fmt.Sprintf("lab network %q wants subnet %s but a network of that name already exists with %s; remove it first (overlab down, or docker network rm %s)", r.Name, pfx, e, r.Name)})
			p.finding(SeverityError, "", "%s", p.plan.Conflicts[len(p.plan.Conflicts)-1].Message)
			continue
		}
		for _, s := range p.blockers(r) {
			if s.Prefix.Overlaps(pfx) {
				p.conflict(r, pfx, s)
			}
		}
		p.place(r, pfx, false)
	}
}

// existing is the subnet of family IPv4 (v4) or IPv6 of the existing
// network called name.
func (p *planner) existing(name string, v4 bool) (netip.Prefix, bool) {
	for _, e := range p.in.Existing {
		if e.Name == name && e.Prefix.IsValid() && e.Prefix.Addr().Is4() == v4 {
			return e.Prefix.Masked(), true
		}
	}
	return netip.Prefix{}, false
}

// commonUnderlay is the one underlay subnet all hosts share.
func (p *planner) commonUnderlay(r Request) (netip.Prefix, bool) {
	seen := map[netip.Prefix][]string{}
	var order []netip.Prefix
	for _, h := range p.in.Hosts {
		u := h.Underlay.Masked()
		if !h.Underlay.IsValid() {
			continue
		}
		if _, ok := seen[u]; !ok {
			order = append(order, u)
		}
		seen[u] = append(seen[u], h.Name)
	}
	if len(order) == 1 {
		return order[0], true
	}
	var parts []string
	for _, u := range order {
		parts = append(parts, fmt.Sprintf("%s (%s)", u, strings.Join(seen[u], ", ")))
	}
	msg := fmt.Sprintf("%s network %q needs the hosts on one underlay subnet, but they are on %s; set its subnet in the lab file", r.Driver, r.Name, strings.Join(parts, ", "))
	if len(order) == 0 {
		msg = fmt.Sprintf("%s network %q: no host's underlay subnet is known; set its subnet in the lab file", r.Driver, r.Name)
	}
	p.plan.Conflicts = append(p.plan.Conflicts, Conflict{Network: r.Name, Message: msg})
	p.finding(SeverityError, "", "%s", msg)
	return netip.Prefix{}, false
}

// choose picks free subnets for the networks that have none yet.
func (p *planner) choose() {
	for _, r := range p.in.Networks {
		if _, done := p.plan.Subnets[r.Name]; done || r.Subnet.IsValid() || r.Underlay || r.NoIPv4 {
			continue
		}
		pfx := p.free(p.o.bits, true, p.blockers(r))
		if !pfx.IsValid() {
			var pools []string
			for _, pl := range p.o.pools {
				pools = append(pools, pl.String())
			}
			msg := fmt.Sprintf("lab network %q: no free /%d left in %s; set its subnet %s", r.Name, p.o.bits, strings.Join(pools, ", "), p.o.hint)
			p.plan.Conflicts = append(p.plan.Conflicts, Conflict{Network: r.Name, Message: msg})
			p.finding(SeverityError, "", "%s", msg)
			continue
		}
		p.place(r, pfx, true)
	}
}

// free returns the first prefix of that length in the pools that overlaps
// none of used; zero when there is none.
func (p *planner) free(bits int, v4 bool, used []Subnet) netip.Prefix {
	for _, pool := range append(append([]netip.Prefix(nil), p.o.pools...), p.o.pools6...) {
		if pool.Addr().Is4() != v4 || bits < pool.Bits() || bits > pool.Addr().BitLen() {
			continue
		}
		cand := netip.PrefixFrom(pool.Masked().Addr(), bits)
		for pool.Contains(cand.Addr()) {
			var blocker *Subnet
			for i := range used {
				if used[i].Prefix.Overlaps(cand) {
					blocker = &used[i]
					break
				}
			}
			if blocker == nil {
				return cand
			}
			// Jump past a blocker larger than a candidate in one step.
			end := cand
			if blocker.Prefix.Bits() < bits {
				end = blocker.Prefix
			}
			next, ok := after(end)
			if !ok {
				break
			}
			cand = netip.PrefixFrom(next, bits)
		}
	}
	return netip.Prefix{}
}

// nextPrefix is the prefix of the same length right after p.
func nextPrefix(p netip.Prefix) (netip.Prefix, bool) {
	next, ok := after(p)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(next, p.Bits()), true
}

// after is the first address past the end of p.
func after(p netip.Prefix) (netip.Addr, bool) {
	last := lastAddr(p)
	n := last.Next()
	return n, n.IsValid()
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	hostBits := len(b)*8 - p.Bits()
	for i := len(b) - 1; i >= 0 && hostBits > 0; i-- {
		n := min(hostBits, 8)
		b[i] |= byte(1<<n - 1)
		hostBits -= n
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// macvlanRanges gives each host its own range of every macvlan network, so
// that two hosts' config-only networks never hand out the same address.
func (p *planner) macvlanRanges() {
	for _, r := range p.in.Networks {
		if !r.Underlay {
			continue
		}
		subnet, ok := p.plan.Subnets[r.Name]
		if !ok || p.conflicted(r.Name) {
			continue
		}
		ranges := map[string]netip.Prefix{}
		p.plan.MacvlanRanges[r.Name] = ranges
		var need []string
		for _, h := range p.in.Hosts {
			if fixed, ok := r.HostRanges[h.Name]; ok {
				ranges[h.Name] = fixed.Masked()
			} else {
				need = append(need, h.Name)
			}
		}
		if len(need) > 0 {
			p.carveFor(r, subnet, ranges, need)
		}
		for _, h := range p.in.Hosts {
			if rg, ok := ranges[h.Name]; ok {
				p.placed = append(p.placed, Subnet{Prefix: rg, Kind: KindMacvlan, Name: r.Name, Hosts: []string{h.Name}})
			}
		}
	}
}

func (p *planner) carveFor(r Request, subnet netip.Prefix, ranges map[string]netip.Prefix, need []string) {
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		p.plan.Conflicts = append(p.plan.Conflicts, Conflict{Network: r.Name, Message: msg})
		p.finding(SeverityError, "", "%s", msg)
	}
	if !subnet.Addr().Is4() {
		fail("%s network %q: per-host ranges are carved automatically in IPv4 subnets only; set ip_range for each host", r.Driver, r.Name)
		return
	}
	// The network and broadcast addresses, the gateway Docker picks by
	// default (the first address) or the one given, and the hosts' own.
	reserved := []netip.Addr{subnet.Addr(), lastAddr(subnet), subnet.Addr().Next()}
	if r.Gateway.IsValid() {
		reserved = append(reserved, r.Gateway)
	}
	for _, h := range p.in.Hosts {
		if h.Address.IsValid() {
			reserved = append(reserved, h.Address)
		}
	}
	var taken []netip.Prefix
	for _, rg := range ranges {
		taken = append(taken, rg)
	}
	for _, s := range p.blockers(r) {
		taken = append(taken, s.Prefix)
	}
	// High in the subnet first: DHCP servers and static hosts usually live low.
	regions := []netip.Prefix{upperHalf(subnet), subnet}
	if r.IPRange.IsValid() {
		regions = []netip.Prefix{r.IPRange.Masked()}
	}
	blocks := carve(regions, len(need), reserved, taken)
	if blocks == nil {
		fail("%s network %q: no room for %d per-host ranges of at least 4 addresses in %s that avoid the hosts' own addresses; set ip_range for each host", r.Driver, r.Name, len(need), regions[len(regions)-1])
		return
	}
	for i, h := range need {
		ranges[h] = blocks[i]
	}
}

func (p *planner) conflicted(network string) bool {
	for _, c := range p.plan.Conflicts {
		if c.Network == network {
			return true
		}
	}
	return false
}

func upperHalf(p netip.Prefix) netip.Prefix {
	if p.Bits() >= p.Addr().BitLen() {
		return p
	}
	lower := netip.PrefixFrom(p.Masked().Addr(), p.Bits()+1)
	upper, _ := nextPrefix(lower)
	return upper
}

// carve returns n aligned blocks, as large as possible up to /28 and at
// least /30, from the first region that has room, avoiding reserved
// addresses and taken prefixes.
func carve(regions []netip.Prefix, n int, reserved []netip.Addr, taken []netip.Prefix) []netip.Prefix {
	for _, region := range regions {
		for bits := 28; bits <= 30; bits++ {
			if bits < region.Bits() {
				continue
			}
			var out []netip.Prefix
			b := netip.PrefixFrom(region.Masked().Addr(), bits)
			for region.Contains(b.Addr()) && len(out) < n {
				if usable(b, reserved, taken) {
					out = append(out, b)
				}
				next, ok := nextPrefix(b)
				if !ok {
					break
				}
				b = next
			}
			if len(out) == n {
				sort.Slice(out, func(i, j int) bool { return out[i].Addr().Less(out[j].Addr()) })
				return out
			}
		}
	}
	return nil
}

func usable(b netip.Prefix, reserved []netip.Addr, taken []netip.Prefix) bool {
	for _, a := range reserved {
		if b.Contains(a) {
			return false
		}
	}
	for _, t := range taken {
		if t.Overlaps(b) {
			return false
		}
	}
	return true
}
