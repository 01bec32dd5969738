package lab

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/validname"
)

var (
	labName    = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	dockerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	probeKinds = []string{ProbeICMP, ProbeTCP, ProbeUDP, ProbeDNS, ProbeHTTP}
)

// Bounds of a lab: generous for any lesson, small enough that a typo (an
// extra zero) or a hostile file cannot make up create thousands of tasks or
// check create millions of probes.
const (
	MaxNetworks  = 64
	MaxWorkloads = 100
	MaxReplicas  = 100
	MaxPorts     = 100 // per workload
	MaxAliases   = 32  // per attachment
	MaxCommand   = 256 // arguments of a workload's command
	MaxExpect    = 1000
	MaxChecks    = 100_000 // probes of one check, after expansion on the hosts
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

// DNSName is the name by which Docker's DNS finds workload name's
// containers on network: tasks.NAME for every task of a service, else the
// container's name. A workload on more than one network gets the name
// qualified by the network (NAME.NETWORK): unqualified, Docker answers
// with the addresses on whichever of its networks it looks at first.
func (l *Lab) DNSName(name, network string) string {
	w := l.Workload(name)
	if w == nil {
		return name
	}
	n := name
	if w.Kind == KindService {
		n = "tasks." + name
	}
	if len(w.Networks) > 1 && network != "" {
		n += "." + network
	}
	return n
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
	l.validateCounts(ps)
	l.validateNetworks(ps)
	l.validateWorkloads(ps)
	l.validateExpect(ps)
	l.validateEngines(ps)
	l.validateRoutes(ps)
	l.validateNotes(ps)
	l.validateFaults(ps)
	return ps.err()
}

// validateCounts bounds the lists of the lab (see MaxNetworks and the rest).
func (l *Lab) validateCounts(ps *problems) {
	for _, c := range []struct {
		field  string
		n, max int
	}{{"networks", len(l.Networks), MaxNetworks}, {"workloads", len(l.Workloads), MaxWorkloads}, {"expect", len(l.Expect), MaxExpect}} {
		if c.n > c.max {
			ps.add(c.field, "", c.field, "%d entries: a lab has at most %d", c.n, c.max)
		}
	}
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
		c := netCheck{ps: ps, n: &l.Networks[i], i: i, it: netItem(i, &l.Networks[i])}
		c.name(seen)
		if c.n.External {
			continue // the engine's, as it is
		}
		if !c.driver() {
			continue
		}
		if c.n.Default {
			l.validateDefaultNetwork(ps, i, c.n)
			continue
		}
		c.reserved()
		c.addressing()
		c.addressingIPv6()
		c.scope()
		for _, p := range c.drv.Check(c.n) {
			c.add(p.Field, "%s", p.Message)
		}
		if c.drv.Traits().Underlay {
			if c.n.Parent != "" {
				c.parent("parent", c.n.Parent)
			}
			c.underlayHosts()
		}
	}
}

// parent checks a parent interface name (macvlan, ipvlan), and the name of
// its VLAN sub-interface (PARENT.VLAN) when the network has one: it reaches
// the kernel, and the commands lab show prints.
func (c *netCheck) parent(field, p string) {
	if err := validname.Interface(p); err != nil {
		c.add(field, "%v", err)
		return
	}
	if c.n.VLAN > 0 {
		if sub := fmt.Sprintf("%s.%d", p, c.n.VLAN); len(sub) > validname.MaxInterface {
			c.add(field, "the VLAN sub-interface %s would be longer than Linux's %d characters: use a shorter parent name", sub, validname.MaxInterface)
		}
	}
}

// netCheck validates one network, step by step; each step adds its
// problems.
type netCheck struct {
	ps     *problems
	n      *Network
	i      int
	it     string           // the network as problems name it
	drv    netdriver.Driver // set once driver has found it
	subnet netip.Prefix     // valid once addressing has parsed it
}

func (c *netCheck) at(field string) string { return fmt.Sprintf("networks[%d].%s", c.i, field) }

func (c *netCheck) add(field, format string, args ...any) {
	c.ps.add(c.at(field), c.it, field, format, args...)
}

func (c *netCheck) name(seen map[string]bool) {
	n := c.n
	switch {
	case n.Name == "":
		c.add("name", "required")
	case !dockerName.MatchString(n.Name):
		c.add("name", "%q is not a valid Docker network name (letters, digits, '_', '.', '-')", n.Name)
	case seen[n.Name]:
		c.add("name", "defined twice")
	}
	seen[n.Name] = true
}

// driver reports whether the driver is known; the other steps need it.
func (c *netCheck) driver() bool {
	drivers := strings.Join(netdriver.Default.Names(), ", ")
	var ok bool
	switch c.drv, ok = netdriver.Get(c.n.Driver); {
	case c.n.Driver == "":
		c.add("driver", "required (one of %s)", drivers)
	case !ok:
		c.add("driver", "unknown driver %q (one of %s)", c.n.Driver, drivers)
	}
	return ok
}

func (c *netCheck) reserved() {
	if d := builtinDriver(c.n.Name); d != "" {
		c.add("name", "%q is Docker's own %s network: set default: true to use it, or pick another name", c.n.Name, d)
	}
}

// builtinDriver is the driver of Docker's own network called name ("" when
// name is not one of Docker's own).
func builtinDriver(name string) string {
	for _, d := range netdriver.Default.Names() {
		if drv, _ := netdriver.Get(d); drv.Traits().Builtin == name {
			return d
		}
	}
	return ""
}

// addressing checks subnet, gateway and ip_range against each other.
func (c *netCheck) addressing() {
	n := c.n
	if n.Subnet != "" {
		var msg string
		if c.subnet, msg = parsePrefix(n.Subnet); msg != "" {
			c.add("subnet", "%s", msg)
		}
	}
	if n.Gateway != "" {
		if g, err := netip.ParseAddr(n.Gateway); err != nil {
			c.add("gateway", "%q is not an IP address", n.Gateway)
		} else if n.Subnet == "" {
			c.add("gateway", "needs a subnet")
		} else if c.subnet.IsValid() && !c.subnet.Contains(g) {
			c.add("gateway", "%s is outside subnet %s", g, c.subnet)
		}
	}
	if n.IPRange != "" {
		c.ipRange("ip_range", n.IPRange)
	}
}

// ipRange checks a range carved from the subnet; ok when it is usable.
func (c *netCheck) ipRange(field, s string) (netip.Prefix, bool) {
	r, msg := parsePrefix(s)
	switch {
	case msg != "":
		c.add(field, "%s", msg)
	case c.n.Subnet == "":
		c.add(field, "needs a subnet (the range is carved from it)")
	case c.subnet.IsValid() && !contains(c.subnet, r):
		c.add(field, "%s is outside subnet %s", r, c.subnet)
	default:
		return r, true
	}
	return r, false
}

func (c *netCheck) scope() {
	n := c.n
	switch n.Scope {
	case ScopeLocal, ScopeSwarm:
	default:
		c.add("scope", "%q: want local or swarm", n.Scope)
	}
}

// underlayHosts checks the per-host options of a network on the underlay:
// known hosts, and ranges that stay in the subnet and do not overlap (each
// host allocates from its own).
func (c *netCheck) underlayHosts() {
	type hostRange struct {
		host string
		r    netip.Prefix
	}
	var ranges []hostRange
	for _, h := range sortedKeys(c.n.Hosts) {
		o := c.n.Hosts[h]
		if msg := checkHostRef(h); msg != "" {
			c.add("hosts."+h, "%s", msg)
		}
		if o.Parent != "" {
			c.parent("hosts."+h+".parent", o.Parent)
		}
		if o.IPRange == "" {
			continue
		}
		field := "hosts." + h + ".ip_range"
		r, ok := c.ipRange(field, o.IPRange)
		if !ok {
			continue
		}
		for _, prev := range ranges {
			if prev.r.Overlaps(r) {
				c.add(field, "%s overlaps host %s's range %s: each host allocates addresses from its own range, so they must not overlap", r, prev.host, prev.r)
			}
		}
		ranges = append(ranges, hostRange{h, r})
	}
}

func (l *Lab) validateDefaultNetwork(ps *problems, i int, n *Network) {
	at := func(f string) string { return fmt.Sprintf("networks[%d].%s", i, f) }
	it := netItem(i, n)
	d, _ := netdriver.Get(n.Driver)
	builtin := d.Traits().Builtin
	if builtin == "" {
		ps.add(at("default"), it, "default", "only Docker's own bridge, host and none networks are default networks, not %s", n.Driver)
		return
	}
	if n.Name != "" && n.Name != builtin {
		ps.add(at("name"), it, "name", "Docker's own %s network is called %q", n.Driver, builtin)
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
		c := workloadCheck{l: l, ps: ps, w: &l.Workloads[i], i: i}
		c.it = fmt.Sprintf("workload %q", c.w.Name)
		if c.w.Name == "" {
			c.it = fmt.Sprintf("workloads[%d]", i)
		}
		c.name(seen)
		c.kind()
		if c.w.Image != "" {
			if err := validname.ImageRef(c.w.Image); err != nil {
				c.add("image", "image", "%v", err)
			}
		}
		exclusive := c.networks()
		c.ports(exclusive)
		c.placement()
	}
}

// workloadCheck validates one workload, step by step.
type workloadCheck struct {
	l  *Lab
	ps *problems
	w  *Workload
	i  int
	it string // the workload as problems name it
}

// add reports a problem at workloads[i].<path>, about field.
func (c *workloadCheck) add(path, field, format string, args ...any) {
	c.ps.add(fmt.Sprintf("workloads[%d].%s", c.i, path), c.it, field, format, args...)
}

func (c *workloadCheck) name(seen map[string]bool) {
	w := c.w
	switch {
	case w.Name == "":
		c.add("name", "name", "required")
	case !dockerName.MatchString(w.Name) || len(w.Name) > 63:
		c.add("name", "name", "%q is not a valid container or service name (letters, digits, '_', '.', '-'; at most 63)", w.Name)
	case seen[w.Name]:
		c.add("name", "name", "defined twice")
	}
	seen[w.Name] = true
}

// kind checks kind, mode and replicas together.
func (c *workloadCheck) kind() {
	w := c.w
	switch w.Kind {
	case KindContainer:
		if w.Mode != "" {
			c.add("mode", "mode", "only services have a mode; a container workload runs one container on each host it is placed on")
		}
		if w.Replicas != 0 {
			c.add("replicas", "replicas", "only replicated services have replicas; a container workload runs one container on each host it is placed on")
		}
	case KindService:
		switch w.Mode {
		case ModeGlobal:
			if w.Replicas != 0 {
				c.add("replicas", "replicas", "a global service runs one task per host; replicas needs mode: replicated")
			}
		case ModeReplicate:
			if w.Replicas < 1 || w.Replicas > MaxReplicas {
				c.add("replicas", "replicas", "%d: a replicated service has 1 to %d replicas", w.Replicas, MaxReplicas)
			}
		default:
			c.add("mode", "mode", "%q: want global or replicated", w.Mode)
		}
	default:
		c.add("kind", "kind", "%q: want service or container", w.Kind)
	}
}

// networks checks the attachments and returns host or none when the
// workload is on one of them (it then can join nothing else).
func (c *workloadCheck) networks() (exclusive string) {
	w := c.w
	if len(w.Networks) == 0 {
		c.add("networks", "networks", "required: name at least one network (bridge for docker0, host, none, or a lab network)")
	}
	attached := map[string]bool{}
	for j, a := range w.Networks {
		path, field := fmt.Sprintf("networks[%d]", j), fmt.Sprintf("networks[%d]", j)
		n := c.l.Network(a.Network)
		if a.Network == "" {
			c.add(path, field, "network name required")
			continue
		}
		if n == nil {
			c.add(path, field, "unknown network %q (the lab defines: %s)", a.Network, strings.Join(c.l.networkNames(), ", "))
			continue
		}
		if attached[a.Network] {
			c.add(path, field, "attached to %q twice", a.Network)
		}
		attached[a.Network] = true
		if netdriver.Of(n.Driver).Traits().NoEndpoint {
			exclusive = n.Driver
		}
		if w.Kind == KindService && !n.SwarmScoped() && !n.Default {
			c.add(path, field, "a service can only attach to swarm-scoped networks; %q is a local %s network (use a container workload, an overlay, or macvlan with scope: swarm)", n.Name, n.Driver)
		}
		if a.IP != "" {
			c.l.validateStaticIP(c.ps, fmt.Sprintf("workloads[%d].%s.ip", c.i, path), c.it, field+".ip", w, n, a.IP)
		}
		if len(a.Aliases) > 0 && (n.Default || netdriver.Of(n.Driver).Traits().NoEndpoint) {
			c.add(path+".aliases", field+".aliases", "network-scoped aliases exist only on user-defined networks (Docker's embedded DNS), not on %q", n.Name)
		}
		if len(a.Aliases) > MaxAliases {
			c.add(path+".aliases", field+".aliases", "%d aliases: an attachment has at most %d", len(a.Aliases), MaxAliases)
		}
		for k, al := range a.Aliases {
			if err := validname.DNSName(al); err != nil {
				c.add(fmt.Sprintf("%s.aliases[%d]", path, k), field+".aliases", "%v", err)
			}
		}
	}
	if exclusive != "" && len(w.Networks) > 1 {
		c.add("networks", "networks", "a workload on the %s network cannot join other networks", exclusive)
	}
	return exclusive
}

func (c *workloadCheck) ports(exclusive string) {
	if n := len(c.w.Ports); n > MaxPorts {
		c.add("ports", "ports", "%d published ports: a workload has at most %d", n, MaxPorts)
	}
	if n := len(c.w.Command); n > MaxCommand {
		c.add("command", "command", "%d arguments: a command has at most %d", n, MaxCommand)
	}
	seen := map[string]bool{}
	for j, p := range c.w.Ports {
		path, field := fmt.Sprintf("ports[%d]", j), fmt.Sprintf("ports[%d]", j)
		if p.Published < 1 || p.Published > 65535 {
			c.add(path, field+".published", "%d is not a port (1-65535)", p.Published)
		}
		if p.Target < 1 || p.Target > 65535 {
			c.add(path, field+".target", "%d is not a port (1-65535)", p.Target)
		}
		if p.Protocol != "tcp" && p.Protocol != "udp" {
			c.add(path, field+".protocol", "%q: want tcp or udp", p.Protocol)
		}
		switch p.Mode {
		case PortModeHost:
		case PortModeIngress:
			if c.w.Kind != KindService {
				c.add(path, field+".mode", "ingress publishing (the routing mesh) is for services; a container publishes on its own host")
			}
		default:
			c.add(path, field+".mode", "%q: want host or ingress", p.Mode)
		}
		switch {
		case p.Bind != BindLab && p.Bind != BindAll:
			c.add(path, field+".bind", "%q: want lab (the host's lab address, the default) or all (every address of the host)", p.Bind)
		case c.w.Kind == KindService && p.Bind != BindAll:
			c.add(path, field+".bind", "a service's published port listens on every address of its nodes (swarm cannot bind it to one): write bind: all to accept that, or publish from a container workload, which binds the lab address")
		}
		key := fmt.Sprintf("%d/%s", p.Published, p.Protocol)
		if seen[key] {
			c.add(path, field, "port %s published twice", key)
		}
		seen[key] = true
		if exclusive != "" {
			c.add(path, field, "ports cannot be published from the %s network (on host the container already uses the host's ports)", exclusive)
		}
	}
}

func (c *workloadCheck) placement() {
	for j, h := range c.w.Placement.Hosts {
		if msg := checkHostRef(h); msg != "" {
			c.add(fmt.Sprintf("placement.hosts[%d]", j), "placement.hosts", "%s", msg)
		}
	}
	for j, r := range c.w.Placement.Roles {
		if r != "manager" && r != "worker" {
			c.add(fmt.Sprintf("placement.roles[%d]", j), "placement.roles", "%q: want manager or worker", r)
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
		c := expectCheck{l: l, ps: ps, e: &l.Expect[i], i: i, it: fmt.Sprintf("expect #%d", i+1)}
		if l.pos != nil && !l.has(c.at("reachable")) {
			ps.add(fmt.Sprintf("expect[%d]", i), c.it, "reachable", "required: say true or false, so that the row states what it teaches")
		}
		from := c.from()
		to, targetOK := c.to()
		c.kinds()
		c.families()
		if from == nil || !targetOK {
			continue
		}
		c.network(from, to)
	}
}

// expectCheck validates one expectation row, step by step.
type expectCheck struct {
	l  *Lab
	ps *problems
	e  *Expectation
	i  int
	it string // the row as problems name it
}

func (c *expectCheck) at(field string) string { return fmt.Sprintf("expect[%d].%s", c.i, field) }

func (c *expectCheck) add(path, field, format string, args ...any) {
	c.ps.add(c.at(path), c.it, field, format, args...)
}

// from checks the source and returns its workload, nil when unusable.
func (c *expectCheck) from() *Workload {
	e := c.e
	from := c.l.Workload(e.From.Workload)
	switch {
	case e.From.Workload == "":
		c.add("from", "from.workload", "required")
	case from == nil:
		c.add("from.workload", "from.workload", "unknown workload %q (the lab defines: %s)", e.From.Workload, strings.Join(c.l.workloadNames(), ", "))
	case from.Replicated():
		c.add("from.workload", "from.workload", "%q is a replicated service: its tasks have no fixed host to probe from (use mode: global or a container workload)", e.From.Workload)
	}
	if h := e.From.Host; h != "" && h != HostAll {
		if h == HostSelf || h == HostOthers {
			c.add("from.host", "from.host", "%q is only meaningful in to.host; from.host is empty (every host), all, or a host", h)
		} else if msg := checkHostRef(h); msg != "" {
			c.add("from.host", "from.host", "%s", msg)
		}
	}
	return from
}

// to checks the target; ok says it names one thing that exists, so that
// the row's network can be worked out.
func (c *expectCheck) to() (to *Workload, ok bool) {
	t := c.e.To
	set := 0
	for _, s := range []string{t.Workload, t.Address, t.Name} {
		if s != "" {
			set++
		}
	}
	switch {
	case t.Underlay && (t.Address != "" || t.Name != ""):
		c.add("to", "to", "underlay targets hosts' own addresses: combine it with workload (the hosts running it) or nothing, not with address or name")
	case !t.Underlay && set != 1:
		c.add("to", "to", "set exactly one of workload, address, name or underlay")
	}
	if t.Workload != "" {
		if to = c.l.Workload(t.Workload); to == nil {
			c.add("to.workload", "to.workload", "unknown workload %q (the lab defines: %s)", t.Workload, strings.Join(c.l.workloadNames(), ", "))
		}
	}
	if t.Address != "" {
		if _, err := netip.ParseAddr(t.Address); err != nil {
			c.add("to.address", "to.address", "%q is not an IP address (use name: for a DNS name)", t.Address)
		}
	}
	if t.Name != "" {
		if err := validname.DNSName(t.Name); err != nil {
			c.add("to.name", "to.name", "%v", err)
		}
	}
	if t.Host != "" {
		switch {
		case t.Workload == "" && !t.Underlay:
			c.add("to.host", "to.host", "only a workload or underlay target has hosts")
		case t.Host == HostSelf || t.Host == HostOthers || t.Host == HostAll:
		default:
			if msg := checkHostRef(t.Host); msg != "" {
				c.add("to.host", "to.host", "%s", msg)
			}
		}
	}
	if to != nil && to.Replicated() && t.Host != "" && !t.Underlay {
		c.add("to.host", "to.host", "%q is a replicated service: its tasks have no fixed host; leave to.host empty to reach any task", t.Workload)
	}
	if t.Port < 0 || t.Port > 65535 {
		c.add("to.port", "to.port", "%d is not a port (1-65535)", t.Port)
	}
	return to, !(t.Workload != "" && to == nil) && (t.Underlay || set == 1)
}

// kinds checks the probe kinds against the target.
func (c *expectCheck) kinds() {
	e, t := c.e, c.e.To
	if len(e.Kinds) == 0 {
		c.add("kinds", "kinds", "required: one or more of %s", strings.Join(probeKinds, ", "))
	}
	seen := map[string]bool{}
	usesPort := false
	for j, k := range e.Kinds {
		path := fmt.Sprintf("kinds[%d]", j)
		if !c.l.has(c.at(path)) {
			path = "kind"
		}
		if !oneOf(k, probeKinds) {
			c.add(path, "kinds", "unknown kind %q (one of %s)", k, strings.Join(probeKinds, ", "))
			continue
		}
		if seen[k] {
			c.add(path, "kinds", "%q listed twice", k)
		}
		seen[k] = true
		if k == ProbeTCP || k == ProbeUDP || k == ProbeHTTP {
			usesPort = true
		}
		if k == ProbeDNS && (t.Address != "" || t.Underlay) {
			c.add(path, "kinds", "dns resolves a name: the target must be a workload or a name")
		}
	}
	if t.Port != 0 && !usesPort && len(e.Kinds) > 0 {
		c.add("to.port", "to.port", "only tcp, udp and http probes use a port")
	}
}

// network checks the network the row is about: known, and one that source
// and target are on as the expectation needs.
func (c *expectCheck) network(from, to *Workload) {
	t := c.e.To
	netName := c.l.ExpectNetwork(c.e)
	if netName == "" {
		if to != nil && !t.Underlay {
			c.add("network", "network", "required here: the source %q is on %s and the target %q on %s; say which network this row is about", from.Name, strings.Join(from.NetworkNames(), ", "), to.Name, strings.Join(to.NetworkNames(), ", "))
		} else {
			c.add("network", "network", "required here: %q is on several networks (%s); say which one this row is about", from.Name, strings.Join(from.NetworkNames(), ", "))
		}
		return
	}
	if c.l.Network(netName) == nil {
		c.add("network", "network", "unknown network %q (the lab defines: %s)", netName, strings.Join(c.l.networkNames(), ", "))
		return
	}
	if to != nil && !t.Underlay && !to.Attached(netName) {
		c.add("network", "network", "target workload %q is not on network %q, so it has no address there", to.Name, netName)
	}
	if !from.Attached(netName) && c.e.Reachable && !c.l.routesTo(netName) && c.e.Engines == "" {
		c.add("network", "network", "workload %q is not on network %q: from outside a network a row can only expect unreachable (isolation)", from.Name, netName)
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
