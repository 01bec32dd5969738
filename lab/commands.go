package lab

import (
	"github.com/overlab/overlab/feature"

	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"github.com/overlab/overlab/addrplan"
)

// Command is one command line a person types on a host.
type Command struct {
	Host    string `json:"host"` // empty: on the machine you read this on
	Line    string `json:"line"`
	Comment string `json:"comment,omitempty"`
}

// Step is a group of commands that does one thing of the lab by hand.
type Step struct {
	Title    string    `json:"title"`
	Note     string    `json:"note,omitempty"`
	Row      int       `json:"row,omitempty"` // the expectation a check step reproduces
	Commands []Command `json:"commands"`
}

type cmdOpts struct {
	plan    *addrplan.Plan
	image   string
	parents map[string]string
	tcp     int
	udp     int
	http    int
}

// CommandsOption configures Commands.
type CommandsOption func(*cmdOpts)

// WithPlan fills in the subnets and macvlan ranges an address plan chose.
func WithPlan(p *addrplan.Plan) CommandsOption { return func(o *cmdOpts) { o.plan = p } }

// WithProbeImage names the probe image (default overlab-probe:latest).
func WithProbeImage(ref string) CommandsOption { return func(o *cmdOpts) { o.image = ref } }

// WithParents gives each host's macvlan parent interface (default eth0).
func WithParents(byHost map[string]string) CommandsOption {
	return func(o *cmdOpts) { o.parents = byHost }
}

// WithProbePorts sets the ports the probe serves TCP, UDP and HTTP on.
func WithProbePorts(tcp, udp, http int) CommandsOption {
	return func(o *cmdOpts) { o.tcp, o.udp, o.http = tcp, udp, http }
}

func newCmdOpts(opts []CommandsOption) cmdOpts {
	o := cmdOpts{image: "overlab-probe:latest", tcp: 7000, udp: 7001, http: 8080}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Reproduce is the command that does one check by hand on its source host,
// with the target address the check used (addr; empty keeps a placeholder):
// what a learner types to reproduce one cell of the matrix without overlab.
func Reproduce(l *Lab, hosts []HostInfo, c Check, addr string, opts ...CommandsOption) Command {
	o := newCmdOpts(opts)
	r := &renderer{l: l, hosts: hosts, o: o, known: addr}
	return Command{Host: c.FromHost, Line: fmt.Sprintf("docker exec %s %s", r.container(c.FromWorkload), r.probeLine(c))}
}

// Commands renders the lab as the plain docker CLI commands a person would
// type, host by host, to build it and to check each expectation by hand.
func Commands(l *Lab, hosts []HostInfo, opts ...CommandsOption) ([]Step, error) {
	o := newCmdOpts(opts)
	checks, err := Expand(l, hosts)
	if err != nil {
		return nil, err
	}
	placed, err := Placements(l, hosts)
	if err != nil {
		return nil, err
	}
	r := &renderer{l: l, hosts: hosts, o: o, placed: placed}
	var steps []Step
	if s, ok := r.swarm(); ok {
		steps = append(steps, s)
	}
	steps = append(steps, r.networks()...)
	steps = append(steps, r.workloads()...)
	steps = append(steps, r.checks(checks)...)
	if s, ok := r.cleanup(); ok {
		steps = append(steps, s)
	}
	return steps, nil
}

type renderer struct {
	l      *Lab
	hosts  []HostInfo
	o      cmdOpts
	placed map[string][]string
	// known is the target address a check found on the hosts; when set it
	// replaces the IP_... placeholder.
	known string
}

func (r *renderer) manager() HostInfo {
	for _, h := range r.hosts {
		if h.Role == "manager" {
			return h
		}
	}
	return r.hosts[0]
}

func (r *renderer) swarm() (Step, bool) {
	if !r.l.NeedsSwarm() {
		return Step{}, false
	}
	m := r.manager()
	s := Step{Title: "Create the swarm", Note: "The manager advertises its underlay address; the others join with a token (never paste it anywhere public)."}
	s.Commands = append(s.Commands, Command{Host: m.Name, Line: "docker swarm init --advertise-addr " + m.Address})
	s.Commands = append(s.Commands, Command{Host: m.Name, Line: "docker swarm join-token -q worker", Comment: "prints TOKEN"})
	for _, h := range r.hosts {
		if h.Name == m.Name {
			continue
		}
		s.Commands = append(s.Commands, Command{Host: h.Name, Line: fmt.Sprintf("docker swarm join --advertise-addr %s --token TOKEN %s:2377", h.Address, m.Address)})
	}
	return s, true
}

func (r *renderer) subnet(n *Network) string {
	if n.Subnet != "" {
		return n.Subnet
	}
	if r.o.plan != nil {
		if p, ok := r.o.plan.Subnets[n.Name]; ok {
			return p.String()
		}
	}
	return ""
}

// hostsUsing lists, in inventory order, the hosts where a container of the
// lab attaches to network (local networks exist only where used).
func (r *renderer) hostsUsing(network string) []string {
	on := map[string]bool{}
	for i := range r.l.Workloads {
		w := &r.l.Workloads[i]
		if w.Attached(network) {
			for _, h := range r.placed[w.Name] {
				on[h] = true
			}
		}
	}
	var out []string
	for _, h := range r.hosts {
		if on[h.Name] {
			out = append(out, h.Name)
		}
	}
	return out
}

func (r *renderer) parent(n *Network, host string) string {
	if n.VLAN > 0 {
		return fmt.Sprintf("%s.%d", r.baseParent(n, host), n.VLAN)
	}
	return r.baseParent(n, host)
}

func (r *renderer) baseParent(n *Network, host string) string {
	for ref, o := range n.Hosts {
		if name, err := ResolveHost(ref, r.hosts); err == nil && name == host && o.Parent != "" {
			return o.Parent
		}
	}
	if n.Parent != "" {
		return n.Parent
	}
	if p := r.o.parents[host]; p != "" {
		return p
	}
	return "eth0"
}

func (r *renderer) hostRange(n *Network, host string) string {
	for ref, o := range n.Hosts {
		if name, err := ResolveHost(ref, r.hosts); err == nil && name == host && o.IPRange != "" {
			return o.IPRange
		}
	}
	if r.o.plan != nil {
		if p, ok := r.o.plan.MacvlanRanges[n.Name][host]; ok {
			return p.String()
		}
	}
	return n.IPRange
}

func ipamFlags(subnet, gateway, ipRange string) string {
	var b strings.Builder
	if subnet != "" {
		b.WriteString(" --subnet " + subnet)
	}
	if gateway != "" {
		b.WriteString(" --gateway " + gateway)
	}
	if ipRange != "" {
		b.WriteString(" --ip-range " + ipRange)
	}
	return b.String()
}

func (r *renderer) networks() []Step {
	var steps []Step
	m := r.manager()
	for i := range r.l.Networks {
		n := &r.l.Networks[i]
		if n.Default {
			continue
		}
		sub := r.subnet(n)
		s := Step{Title: fmt.Sprintf("Create the %s network %q", n.Driver, n.Name)}
		switch {
		case n.Driver == DriverOverlay:
			line := "docker network create -d overlay"
			if n.Attachable {
				line += " --attachable"
			}
			if n.Encrypted {
				line += " --opt encrypted"
			}
			if n.Internal {
				line += " --internal"
			}
			line += ipamFlags(sub, n.Gateway, n.IPRange) + " " + n.Name
			s.Note = "Created once, on a manager; it appears on a worker when a task or container there joins it."
			s.Commands = append(s.Commands, Command{Host: m.Name, Line: line})
		case n.Driver == DriverMacvlan && n.Scope == ScopeSwarm:
			s.Note = fmt.Sprintf("First a config-only network on every host, all called %s: the same subnet, the host's parent interface, and a range of its own so that two hosts never hand out the same address. Then the swarm network, once, from that config.", ConfigOnlyName(n.Name))
			for _, h := range r.hosts {
				line := "docker network create -d macvlan --config-only" + ipamFlags(sub, n.Gateway, r.hostRange(n, h.Name)) +
					" -o parent=" + r.parent(n, h.Name) + " " + ConfigOnlyName(n.Name)
				s.Commands = append(s.Commands, Command{Host: h.Name, Line: line})
			}
			line := "docker network create -d macvlan --scope swarm"
			if n.Attachable {
				line += " --attachable"
			}
			if n.Internal {
				line += " --internal"
			}
			line += " --config-from " + ConfigOnlyName(n.Name) + " " + n.Name
			s.Commands = append(s.Commands, Command{Host: m.Name, Line: line})
		default: // local bridge or macvlan, on each host that uses it
			for _, h := range r.hostsUsing(n.Name) {
				line := "docker network create -d " + n.Driver
				if n.Internal {
					line += " --internal"
				}
				rng := n.IPRange
				if n.Driver == DriverMacvlan {
					rng = r.hostRange(n, h)
				}
				line += ipamFlags(sub, n.Gateway, rng)
				if n.Driver == DriverMacvlan {
					line += " -o parent=" + r.parent(n, h)
				}
				s.Commands = append(s.Commands, Command{Host: h, Line: line + " " + n.Name})
			}
		}
		if len(s.Commands) == 0 {
			s.Note = "No container of the lab uses it, so no host needs it."
		} else if sub != "" {
			s.Commands = append(s.Commands, Command{Host: s.Commands[len(s.Commands)-1].Host, Line: fmt.Sprintf("docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' %s", n.Name), Comment: "shows " + sub})
		}
		steps = append(steps, s)
	}
	return steps
}

func (r *renderer) image(w *Workload) string {
	if w.Image != "" {
		return w.Image
	}
	return r.o.image
}

func shellJoin(args []string) string {
	var out []string
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$`\\|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

func (r *renderer) workloads() []Step {
	var steps []Step
	m := r.manager()
	for i := range r.l.Workloads {
		w := &r.l.Workloads[i]
		s := Step{Title: fmt.Sprintf("Start the %s %q", w.Kind, w.Name)}
		tail := r.image(w)
		if len(w.Command) > 0 {
			tail += " " + shellJoin(w.Command)
		}
		if w.Kind == KindService {
			line := "docker service create --name " + w.Name
			if w.Mode == ModeGlobal {
				line += " --mode global"
			} else {
				line += fmt.Sprintf(" --replicas %d", w.Replicas)
			}
			vip := r.l.needs(feature.IPVS)
			if !vip {
				line += " --endpoint-mode dnsrr"
			}
			for _, a := range w.Networks {
				if len(a.Aliases) > 0 {
					line += fmt.Sprintf(" --network name=%s,alias=%s", a.Network, strings.Join(a.Aliases, ",alias="))
				} else {
					line += " --network " + a.Network
				}
			}
			for _, p := range w.Ports {
				line += fmt.Sprintf(" --publish published=%d,target=%d,protocol=%s,mode=%s", p.Published, p.Target, p.Protocol, p.Mode)
			}
			for _, h := range w.Placement.Hosts {
				if name, err := ResolveHost(h, r.hosts); err == nil {
					line += " --constraint node.hostname==" + name
				}
			}
			for _, role := range w.Placement.Roles {
				line += " --constraint node.role==" + role
			}
			line += " --no-resolve-image " + tail
			s.Note = "--endpoint-mode dnsrr: the service name resolves to every task's address; the default virtual IP needs IPVS in the kernel. --no-resolve-image: no registry is asked, each host uses its local image."
			if vip {
				s.Note = "The default endpoint mode, a virtual IP balanced by IPVS (this lab needs it). --no-resolve-image: no registry is asked, each host uses its local image."
			}
			s.Commands = append(s.Commands,
				Command{Host: m.Name, Line: line},
				Command{Host: m.Name, Line: "docker service ps " + w.Name, Comment: "wait until every task is Running"})
		} else {
			for _, h := range r.placed[w.Name] {
				first := w.Networks[0]
				// The same hostname as overlab gives it (the probe answers with
				// it); none on the host network, which keeps the host's.
				line := "docker run -d --name " + w.Name + " --hostname " + w.Name + "-" + h + " --network " + first.Network
				if n := r.l.Network(first.Network); n != nil && n.Driver == DriverHost {
					line = "docker run -d --name " + w.Name + " --network " + first.Network
				}
				if first.IP != "" {
					line += " --ip " + first.IP
				}
				for _, al := range first.Aliases {
					line += " --network-alias " + al
				}
				for _, p := range w.Ports {
					line += fmt.Sprintf(" -p %d:%d", p.Published, p.Target)
					if p.Protocol != "tcp" {
						line += "/" + p.Protocol
					}
				}
				s.Commands = append(s.Commands, Command{Host: h, Line: line + " " + tail})
				for _, a := range w.Networks[1:] {
					c := "docker network connect"
					if a.IP != "" {
						c += " --ip " + a.IP
					}
					for _, al := range a.Aliases {
						c += " --alias " + al
					}
					s.Commands = append(s.Commands, Command{Host: h, Line: c + " " + a.Network + " " + w.Name})
				}
			}
		}
		steps = append(steps, s)
	}
	return steps
}

// container is how to name a workload's container on its host in a command.
func (r *renderer) container(workload string) string {
	w := r.l.Workload(workload)
	if w != nil && w.Kind == KindService {
		return fmt.Sprintf("$(docker ps -q -f label=com.docker.swarm.service.name=%s)", workload)
	}
	return workload
}

func (r *renderer) staticIP(workload, network string) string {
	w := r.l.Workload(workload)
	if w == nil {
		return ""
	}
	for _, a := range w.Networks {
		if a.Network == network && a.IP != "" {
			return a.IP
		}
	}
	return ""
}

func (r *renderer) addrOf(c Check) string {
	if r.known != "" {
		return r.known
	}
	switch c.TargetType {
	case TargetWorkload:
		if ip := r.staticIP(c.ToWorkload, c.Network); ip != "" {
			return ip
		}
		if n := r.l.Network(c.Network); n != nil && (n.Driver == DriverHost) {
			for _, h := range r.hosts {
				if h.Name == c.ToHost {
					return h.Address
				}
			}
		}
		if c.ToHost == "" {
			return c.ToWorkload
		}
		v := "IP_" + varName(c.ToWorkload)
		if w := r.l.Workload(c.ToWorkload); w != nil && len(w.Networks) > 1 {
			v += "_" + varName(c.Network) // one address per network
		}
		return v + "_" + varName(c.ToHost)
	default:
		return c.Target
	}
}

func varName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

func (r *renderer) port(c Check, def int) int {
	if c.Port != 0 {
		return c.Port
	}
	return def
}

// dnsName is what a person resolves to find a workload's container.
func (r *renderer) dnsName(c Check) string {
	if c.TargetType == TargetName {
		return c.Target
	}
	return r.l.DNSName(c.ToWorkload, c.Network)
}

func (r *renderer) probeLine(c Check) string {
	a := r.addrOf(c)
	if ip, err := netip.ParseAddr(a); err == nil && ip.Is6() {
		a = "[" + a + "]"
	}
	switch c.Kind {
	case ProbeICMP:
		return "ping -c 3 -W 1 " + r.addrOf(c)
	case ProbeTCP:
		// busybox nc has no -z; a probe answers "overlab-probe <its name>".
		return fmt.Sprintf("sh -c 'echo | nc -w 2 %s %d'", a, r.port(c, r.o.tcp))
	case ProbeUDP:
		// busybox nc has no UDP: the probe program inside the image does it.
		return fmt.Sprintf(`/overlab probe run --targets '[{"id":"udp","kind":"udp","address":"%s","port":%d}]'`, r.addrOf(c), r.port(c, r.o.udp))
	case ProbeDNS:
		return "nslookup " + r.dnsName(c)
	case ProbeHTTP:
		// busybox wget has no -T; busybox timeout bounds it.
		return fmt.Sprintf("timeout 5 wget -qO- http://%s:%d/", a, r.port(c, r.o.http))
	}
	return ""
}

func (r *renderer) checks(checks []Check) []Step {
	var steps []Step
	byRow := map[int][]Check{}
	var rows []int
	for _, c := range checks {
		if _, ok := byRow[c.Row]; !ok {
			rows = append(rows, c.Row)
		}
		byRow[c.Row] = append(byRow[c.Row], c)
	}
	sort.Ints(rows)
	for _, row := range rows {
		cs := byRow[row]
		e := r.l.Expect[row-1]
		exp := "reachable"
		if !e.Reachable {
			exp = "unreachable"
		}
		s := Step{Row: row, Note: strings.TrimSpace(e.Note),
			Title: fmt.Sprintf("Check expect #%d: %s → %s on %s (%s): %s", row, e.From.Workload, e.To.String(), cs[0].Network, strings.Join(e.Kinds, ", "), exp)}
		// Look up each target container's address once, on its own host.
		seen := map[string]bool{}
		for _, c := range cs {
			a := r.addrOf(c)
			if c.TargetType != TargetWorkload || !strings.HasPrefix(a, "IP_") || seen[a] || c.Kind == ProbeDNS {
				continue
			}
			seen[a] = true
			s.Commands = append(s.Commands, Command{Host: c.ToHost,
				Line:    fmt.Sprintf("docker inspect -f '{{(index .NetworkSettings.Networks \"%s\").IPAddress}}' %s", c.Network, r.container(c.ToWorkload)),
				Comment: "prints " + a})
		}
		for _, c := range cs {
			comment := "expect: " + exp
			if c.Kind == ProbeDNS && c.TargetType == TargetWorkload && c.ToHost != "" {
				comment += fmt.Sprintf(" (the answer includes %s's address on %s)", c.ToWorkload, c.ToHost)
			}
			s.Commands = append(s.Commands, Command{Host: c.FromHost,
				Line: fmt.Sprintf("docker exec %s %s", r.container(c.FromWorkload), r.probeLine(c)), Comment: comment})
		}
		steps = append(steps, s)
	}
	return steps
}

func (r *renderer) cleanup() (Step, bool) {
	s := Step{Title: "Clean up", Note: "Services and containers first, then the networks they used."}
	m := r.manager()
	for _, w := range r.l.Workloads {
		if w.Kind == KindService {
			s.Commands = append(s.Commands, Command{Host: m.Name, Line: "docker service rm " + w.Name})
		} else {
			for _, h := range r.placed[w.Name] {
				s.Commands = append(s.Commands, Command{Host: h, Line: "docker rm -f " + w.Name})
			}
		}
	}
	for i := range r.l.Networks {
		n := &r.l.Networks[i]
		switch {
		case n.Default:
		case n.Driver == DriverOverlay:
			s.Commands = append(s.Commands, Command{Host: m.Name, Line: "docker network rm " + n.Name})
		case n.Driver == DriverMacvlan && n.Scope == ScopeSwarm:
			s.Commands = append(s.Commands, Command{Host: m.Name, Line: "docker network rm " + n.Name})
			for _, h := range r.hosts {
				s.Commands = append(s.Commands, Command{Host: h.Name, Line: "docker network rm " + ConfigOnlyName(n.Name)})
			}
		default:
			for _, h := range r.hostsUsing(n.Name) {
				s.Commands = append(s.Commands, Command{Host: h, Line: "docker network rm " + n.Name})
			}
		}
	}
	return s, len(s.Commands) > 0
}

// WriteSteps prints steps as text: a numbered title, the note as comments,
// then "host$ command" lines.
func WriteSteps(w io.Writer, steps []Step) error {
	width := 0
	for _, s := range steps {
		for _, c := range s.Commands {
			width = max(width, len(c.Host))
		}
	}
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# %d. %s\n", i+1, s.Title)
		for _, line := range Wrap(s.Note, 76) {
			b.WriteString("#    " + line + "\n")
		}
		for _, c := range s.Commands {
			fmt.Fprintf(&b, "%-*s$ %s", width, c.Host, c.Line)
			if c.Comment != "" {
				b.WriteString("   # " + c.Comment)
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Wrap breaks s into lines of at most width characters, at spaces.
func Wrap(s string, width int) []string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(word) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += word
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
