package lab

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/overlab/overlab/netdriver"
)

// ResolveHost maps a host reference (an inventory name, or $N for the N-th
// host in inventory order) to the host's name.
func ResolveHost(ref string, hosts []HostInfo) (string, error) {
	if strings.HasPrefix(ref, "$") {
		n, err := strconv.Atoi(ref[1:])
		if err != nil || n < 1 {
			return "", fmt.Errorf("%q is not a host reference ($1, $2, ... or a host name)", ref)
		}
		if n > len(hosts) {
			return "", fmt.Errorf("%s: the inventory has only %d host(s)", ref, len(hosts))
		}
		return hosts[n-1].Name, nil
	}
	for _, h := range hosts {
		if h.Name == ref {
			return h.Name, nil
		}
	}
	return "", fmt.Errorf("no host %q in the inventory (hosts: %s)", ref, strings.Join(hostNames(hosts), ", "))
}

func hostNames(hosts []HostInfo) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, h.Name)
	}
	return out
}

func roleOf(h HostInfo) string {
	if h.Role == "" {
		return "worker"
	}
	return h.Role
}

// HostsOf returns, in inventory order, the hosts w runs on: the hosts its
// placement selects (all when empty; hosts and roles must both match when
// both are given). For a replicated service these are the candidates, not
// where its tasks actually land.
func HostsOf(w *Workload, hosts []HostInfo) ([]string, error) {
	var byName map[string]bool
	if len(w.Placement.Hosts) > 0 {
		byName = map[string]bool{}
		for _, ref := range w.Placement.Hosts {
			name, err := ResolveHost(ref, hosts)
			if err != nil {
				return nil, fmt.Errorf("placement.hosts: %w", err)
			}
			byName[name] = true
		}
	}
	var out []string
	for _, h := range hosts {
		if byName != nil && !byName[h.Name] {
			continue
		}
		if len(w.Placement.Roles) > 0 && !oneOf(roleOf(h), w.Placement.Roles) {
			continue
		}
		out = append(out, h.Name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("placement selects no host of the inventory (hosts: %s)", strings.Join(hostNames(hosts), ", "))
	}
	return byPlacementEngines(w, out, hosts), nil
}

// byPlacementEngines keeps the hosts whose engine is in w's
// placement.engines. None may be left: the workload then is not made on
// this inventory, and the rows about it are not probed (a Skip says so).
func byPlacementEngines(w *Workload, hs []string, hosts []HostInfo) []string {
	if w.Placement.Engines == "" {
		return hs
	}
	eng := engineOf(hosts)
	out := []string{}
	for _, h := range hs {
		if !engineExcluded(w, h, eng) {
			out = append(out, h)
		}
	}
	return out
}

// Placements maps every workload to the hosts it runs on (see HostsOf).
func Placements(l *Lab, hosts []HostInfo) (map[string][]string, error) {
	ps := &problems{l: l}
	out := l.placements(hosts, ps)
	return out, ps.err()
}

func (l *Lab) placements(hosts []HostInfo, ps *problems) map[string][]string {
	out := map[string][]string{}
	for i := range l.Workloads {
		w := &l.Workloads[i]
		hs, err := HostsOf(w, hosts)
		if err != nil {
			ps.add(fmt.Sprintf("workloads[%d].placement", i), fmt.Sprintf("workload %q", w.Name), "placement", "%v", err)
			continue
		}
		out[w.Name] = hs
		for j, a := range w.Networks {
			n := l.Network(a.Network)
			if a.IP != "" && len(hs) > 1 && n != nil && !netdriver.Of(n.Driver).Traits().PerHostSegment {
				ps.add(fmt.Sprintf("workloads[%d].networks[%d].ip", i, j), fmt.Sprintf("workload %q", w.Name), fmt.Sprintf("networks[%d].ip", j),
					"one static address %s for containers on %d hosts of the multi-host network %q: place the workload on one host", a.IP, len(hs), n.Name)
			}
		}
	}
	for i := range l.Networks {
		n := &l.Networks[i]
		for _, ref := range sortedKeys(n.Hosts) {
			if _, err := ResolveHost(ref, hosts); err != nil {
				ps.add(fmt.Sprintf("networks[%d].hosts.%s", i, ref), netItem(i, n), "hosts."+ref, "%v", err)
			}
		}
	}
	return out
}

// Expand turns the lab's expectations into concrete checks for these hosts.
// It is pure: the same lab and hosts give the same checks in the same order
// (row, source host, target host, kind).
//
// Host placeholders, with S the host a probe runs from:
//   - from.host empty or "all": every host the source workload runs on.
//   - to.workload with to.host empty: every container of the target workload
//     except the source container itself; for the source's own workload that
//     is every other host (the full matrix of ordered pairs).
//   - to.host "self": the target's container on S; "others": on every host
//     but S; "all": on every host it runs on; a name or $N: on that host.
//   - to.underlay: the hosts' own addresses; to.host empty means "others"
//     (never S unless asked: reaching one's own host is a lesson of its own).
//     With to.workload, only the hosts running that workload.
//   - A replicated service target has no fixed host: one check, ToHost empty.
func Expand(l *Lab, hosts []HostInfo) ([]Check, error) {
	checks, _, err := ExpandAll(l, hosts)
	return checks, err
}

// ExpandAll is Expand that also says which rows, or parts of rows, the
// hosts' engines leave out (engines.go): a row for other engines, a row
// about a workload that no host's engine may run. Each check is one
// address family of its row (families.go), innermost in the order.
func ExpandAll(l *Lab, hosts []HostInfo) ([]Check, []Skip, error) {
	if len(hosts) == 0 {
		return nil, nil, fmt.Errorf("%s: expand: no hosts", l.source())
	}
	ps := &problems{l: l}
	placed := l.placements(hosts, ps)
	if len(ps.out) > 0 {
		return nil, nil, ps.err()
	}
	x := expander{l: l, hosts: hosts, placed: placed, ps: ps, addr: map[string]string{}, eng: engineOf(hosts)}
	for _, h := range hosts {
		x.addr[h.Name] = h.Address
	}
	for i := range l.Expect {
		if x.row(i); x.tooMany != nil {
			return nil, nil, x.tooMany
		}
	}
	x.checks = l.underFaults(x.checks, ps)
	if err := ps.err(); err != nil {
		return nil, nil, err
	}
	return x.checks, x.skips, nil
}

// expander expands one row after the other.
type expander struct {
	l      *Lab
	hosts  []HostInfo
	placed map[string][]string
	ps     *problems
	addr   map[string]string // host name -> inventory address
	eng    map[string]string // host name -> engine version
	checks []Check
	skips  []Skip
	// tooMany ends the expansion: past MaxChecks the rest is not worth reading.
	tooMany error
}

func (x *expander) row(i int) {
	l, e := x.l, &x.l.Expect[i]
	it, path := fmt.Sprintf("expect #%d", i+1), fmt.Sprintf("expect[%d]", i)
	from := l.Workload(e.From.Workload)
	if from == nil {
		x.ps.add(path+".from.workload", it, "from.workload", "unknown workload %q", e.From.Workload)
		return
	}
	if why := x.absent(e, from); why != "" {
		x.skips = append(x.skips, Skip{Row: i + 1, Line: l.line(path), Reason: why})
		return
	}
	fromHosts := x.placed[from.Name]
	if h := e.From.Host; h != "" && h != HostAll {
		name, err := ResolveHost(h, x.hosts)
		if err != nil {
			x.ps.add(path+".from.host", it, "from.host", "%v", err)
			return
		}
		if !oneOf(name, fromHosts) {
			x.ps.add(path+".from.host", it, "from.host", "workload %q does not run on %s (it runs on %s)", from.Name, name, strings.Join(fromHosts, ", "))
			return
		}
		fromHosts = []string{name}
	}
	base := Check{Network: l.ExpectNetwork(e), FromWorkload: from.Name, Reachable: e.Reachable, Note: e.Note, Row: i + 1, Line: l.line(path), Port: e.To.Port, Engines: e.Engines}
	var row []Check
	for _, fh := range fromHosts {
		targets, err := l.targets(e, fh, x.placed, x.hosts, x.addr)
		if err != nil {
			x.ps.add(path+".to", it, "to", "%v", err)
			return
		}
		for _, t := range targets {
			for _, k := range e.Kinds {
				for _, f := range x.families(e, t) {
					c := base
					c.FromHost = fh
					c.ToWorkload, c.ToHost, c.Target, c.TargetType = t.workload, t.host, t.target, t.typ
					c.Kind, c.Family = k, f
					row = append(row, c)
				}
			}
			if len(x.checks)+len(row) > MaxChecks {
				x.tooMany = fmt.Errorf("%s: the lab expands to more than %d checks on these %d hosts (at %s): a lab is a lesson, not a load test; narrow the rows with from.host, to.host or fewer kinds", l.source(), MaxChecks, len(x.hosts), it)
				return
			}
		}
	}
	kept, sk := byEngine(e, i+1, base.Line, row, x.hosts)
	if sk != nil {
		x.skips = append(x.skips, *sk)
	}
	if len(row) == 0 {
		x.ps.add(path, it, "", "yields no check on this inventory (hosts: %s): from %s on %s, the target selects nothing", strings.Join(hostNames(x.hosts), ", "), from.Name, strings.Join(fromHosts, ", "))
	}
	x.checks = append(x.checks, kept...)
}

// absent says why row e cannot be probed on these hosts' engines: its
// source or target workload runs on engines none of them has, or on none
// of the hosts the row names.
func (x *expander) absent(e *Expectation, from *Workload) string {
	to := x.l.Workload(e.To.Workload)
	for _, w := range []*Workload{from, to} {
		if why := absentByEngine(w, x.placed); why != "" {
			return why
		}
	}
	named := []struct {
		w   *Workload
		ref string
	}{{from, e.From.Host}, {to, e.To.Host}}
	for _, n := range named {
		if n.w == nil || n.ref == "" || n.ref == HostAll || n.ref == HostSelf || n.ref == HostOthers {
			continue
		}
		if name, err := ResolveHost(n.ref, x.hosts); err == nil && engineExcluded(n.w, name, x.eng) {
			return fmt.Sprintf("workload %s runs on engines %s only, and %s runs %s", n.w.Name, n.w.Placement.Engines, name, orUnknown(x.eng[name]))
		}
	}
	return ""
}

func orUnknown(v string) string {
	if v == "" {
		return "an unknown engine"
	}
	return v
}

// families are the address families a check of row e to target t probes:
// an underlay or address target's own, else the row's.
func (x *expander) families(e *Expectation, t target) []string {
	switch t.typ {
	case TargetUnderlay, TargetAddress:
		return []string{addrFamily(t.target)}
	}
	return x.l.RowFamilies(e)
}

type target struct{ workload, host, target, typ string }

func (l *Lab) targets(e *Expectation, fh string, placed map[string][]string, hosts []HostInfo, addr map[string]string) ([]target, error) {
	t := e.To
	switch {
	case t.Underlay:
		cands := hostNames(hosts)
		if t.Workload != "" {
			cands = placed[t.Workload]
		}
		sel := t.Host
		if sel == "" {
			sel = HostOthers
		}
		hs, err := selectHosts(sel, fh, cands, hosts, "the underlay target")
		if err != nil {
			return nil, err
		}
		var out []target
		for _, h := range hs {
			out = append(out, target{t.Workload, h, addr[h], TargetUnderlay})
		}
		return out, nil
	case t.Workload != "":
		to := l.Workload(t.Workload)
		if to.Replicated() {
			return []target{{to.Name, "", to.Name, TargetWorkload}}, nil
		}
		cands := placed[to.Name]
		var hs []string
		if t.Host == "" {
			for _, h := range cands {
				if !(to.Name == e.From.Workload && h == fh) {
					hs = append(hs, h)
				}
			}
		} else {
			var err error
			if hs, err = selectHosts(t.Host, fh, cands, hosts, fmt.Sprintf("workload %q", to.Name)); err != nil {
				return nil, err
			}
		}
		var out []target
		for _, h := range hs {
			out = append(out, target{to.Name, h, to.Name, TargetWorkload})
		}
		return out, nil
	case t.Address != "":
		a, _ := netip.ParseAddr(t.Address)
		return []target{{t.Owner.Workload, t.Owner.Host, a.String(), TargetAddress}}, nil
	default:
		return []target{{"", "", t.Name, TargetName}}, nil
	}
}

// selectHosts applies a to.host placeholder for a probe from fh. A host that
// the target does not cover is skipped for self (the source may run where the
// target does not) but is an error when named.
func selectHosts(sel, fh string, cands []string, hosts []HostInfo, what string) ([]string, error) {
	switch sel {
	case HostSelf:
		if oneOf(fh, cands) {
			return []string{fh}, nil
		}
		return nil, nil
	case HostOthers:
		var out []string
		for _, h := range cands {
			if h != fh {
				out = append(out, h)
			}
		}
		return out, nil
	case HostAll:
		return cands, nil
	}
	name, err := ResolveHost(sel, hosts)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	if !oneOf(name, cands) {
		return nil, fmt.Errorf("%s is not on host %s (only on %s)", what, name, strings.Join(cands, ", "))
	}
	return []string{name}, nil
}

// String renders a check on one line, e.g.
// "#1 overlab-overlay icmp overlab-probe@node1 -> overlab-probe@node2 reachable"
// (kind icmp/ipv6 over IPv6, and the row's engine range at the end).
func (c Check) String() string {
	var to string
	switch c.TargetType {
	case TargetWorkload:
		to = c.ToWorkload + "@" + c.ToHost
		if c.ToHost == "" {
			to = c.ToWorkload + "@any"
		}
	case TargetUnderlay:
		to = "underlay(" + c.ToHost + ")=" + c.Target
	default:
		to = c.TargetType + "=" + c.Target
	}
	if c.Port != 0 {
		to += fmt.Sprintf(":%d", c.Port)
	}
	exp := "reachable"
	if !c.Reachable {
		exp = "unreachable"
	}
	if c.UnderFaults {
		exp += " under the faults"
	}
	kind := c.Kind
	if c.Family == FamilyIPv6 {
		kind += "/ipv6"
	}
	s := fmt.Sprintf("#%d %s %s %s@%s -> %s %s", c.Row, c.Network, kind, c.FromWorkload, c.FromHost, to, exp)
	if c.Engines != "" {
		s += " (engines " + c.Engines + ")"
	}
	return s
}
