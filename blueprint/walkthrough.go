package blueprint

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/shellquote"
	swarmpkg "github.com/overlab/overlab/swarm"
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

// The ports the probe serves TCP, UDP and HTTP on.
const (
	probeTCP  = 7000
	probeUDP  = 7001
	probeHTTP = 8080
)

// Reproduce is the command that does one check by hand on its source host,
// with the target address the check used (addr; empty keeps a placeholder):
// what a learner types to reproduce one cell of the matrix without overlab.
func (bp *Blueprint) Reproduce(c lab.Check, addr string) Command {
	r := &renderer{bp: bp, l: bp.Lab, known: addr}
	return Command{Host: c.FromHost, Line: fmt.Sprintf("docker exec %s %s", r.container(c.FromWorkload), r.probeLine(c))}
}

// Walkthrough renders the blueprint as the plain docker CLI commands a
// person would type, host by host, to build the lab and to check each
// expectation by hand. The networks' commands are rendered from the same
// create options that up gives the engines.
func (bp *Blueprint) Walkthrough() []Step {
	r := &renderer{bp: bp, l: bp.Lab}
	var steps []Step
	if s, ok := r.swarm(); ok {
		steps = append(steps, s)
	}
	steps = append(steps, r.networks()...)
	steps = append(steps, r.workloads()...)
	if s, ok := r.routes(); ok {
		steps = append(steps, s)
	}
	breaks, heal, faulty := r.faultSteps()
	if faulty {
		steps = append(steps, breaks)
	}
	steps = append(steps, r.checks(bp.Checks)...)
	if faulty {
		steps = append(steps, heal)
	}
	if s, ok := r.cleanup(); ok {
		steps = append(steps, s)
	}
	return steps
}

type renderer struct {
	bp *Blueprint
	l  *lab.Lab
	// known is the target address a check found on the hosts; when set it
	// replaces the IP_... placeholder.
	known string
}

func (r *renderer) manager() Host { return r.bp.Manager() }

// on is the host a create runs on: the manager for swarm-wide ones.
func (r *renderer) on(c netdriver.Create) string {
	if c.OnManager() {
		return r.manager().Name
	}
	return c.Host
}

func (r *renderer) swarm() (Step, bool) {
	if !r.l.NeedsSwarm() {
		return Step{}, false
	}
	m := r.manager()
	s := Step{Title: "Create the swarm", Note: "The manager advertises its underlay address and listens only there (by default the swarm port 2377 would listen on every address of the host); the others join with a token (never paste it anywhere public)."}
	listen := func(a string) string { return net.JoinHostPort(a, "2377") }
	s.Commands = append(s.Commands, Command{Host: m.Name, Line: shellquote.Join("docker", "swarm", "init", "--advertise-addr", m.Address, "--listen-addr", listen(m.Address))})
	s.Commands = append(s.Commands, Command{Host: m.Name, Line: "docker swarm join-token -q worker", Comment: "prints TOKEN"})
	for _, h := range r.bp.Hosts {
		if h.Name == m.Name {
			continue
		}
		s.Commands = append(s.Commands, Command{Host: h.Name, Line: shellquote.Join("docker", "swarm", "join", "--advertise-addr", h.Address, "--listen-addr", listen(h.Address), "--token", "TOKEN", listen(m.Address))})
	}
	if r.constrained() {
		s.Note += " Each node gets a label with its inventory name, which the services' placement constraints use (NODE: its name in docker node ls)."
		for _, h := range r.bp.Hosts {
			s.Commands = append(s.Commands, Command{Host: m.Name, Line: shellquote.Join("docker", "node", "update", "--label-add", swarmpkg.HostLabel+"="+h.Name, "NODE"), Comment: "NODE: " + h.Name + "'s node"})
		}
	}
	return s, true
}

// constrained says whether some service is placed on a subset of hosts.
func (r *renderer) constrained() bool {
	for _, w := range r.bp.Workloads {
		if w.Service != nil && len(w.Service.TaskTemplate.Placement.Constraints) > 0 {
			return true
		}
	}
	return false
}

func (r *renderer) networks() []Step {
	var steps []Step
	for _, n := range r.bp.Networks {
		if n.Default {
			continue
		}
		s := Step{Title: fmt.Sprintf("Create the %s network %q", n.Driver.Name(), n.Name), Note: n.Driver.Note(n.Network)}
		for _, c := range n.Creates {
			s.Commands = append(s.Commands, Command{Host: r.on(c), Line: netdriver.CommandLine(c)})
		}
		if len(s.Commands) == 0 {
			s.Note = "No container of the lab uses it, so no host needs it."
		} else if shows := subnetsOf(n); shows != "" {
			s.Commands = append(s.Commands, Command{Host: s.Commands[len(s.Commands)-1].Host, Line: fmt.Sprintf("docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' %s", n.Name), Comment: "shows " + shows})
		}
		steps = append(steps, s)
	}
	return steps
}

// subnetsOf are a network's subnets as docker network inspect shows them.
func subnetsOf(n Network) string {
	var out []string
	for _, p := range []netip.Prefix{n.Subnet, n.SubnetIPv6} {
		if p.IsValid() {
			out = append(out, p.String())
		}
	}
	return strings.Join(out, " and ")
}

// container is how to name a workload's container on its host in a command.
func (r *renderer) container(workload string) string {
	w := r.l.Workload(workload)
	if w != nil && w.Kind == lab.KindService {
		// A substitution the shell must run: the name inside is quoted.
		return "$(docker ps -q -f " + shellquote.Quote("label=com.docker.swarm.service.name="+workload) + ")"
	}
	return shellquote.Quote(workload)
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

func (r *renderer) addrOf(c lab.Check) string {
	if r.known != "" {
		return r.known
	}
	switch c.TargetType {
	case lab.TargetWorkload:
		if ip := r.staticIP(c.ToWorkload, c.Network); ip != "" {
			return ip
		}
		if n := r.bp.Network(c.Network); n != nil && n.Driver.Traits().HostStack {
			for _, h := range r.bp.Hosts {
				if h.Name == c.ToHost {
					return h.Address
				}
			}
		}
		if c.ToHost == "" {
			return c.ToWorkload
		}
		v := "IP_" + varName(c.ToWorkload)
		if c.Family == lab.FamilyIPv6 {
			v = "IP6_" + varName(c.ToWorkload)
		}
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

func (r *renderer) port(c lab.Check, def int) int {
	if c.Port != 0 {
		return c.Port
	}
	return def
}

// dnsName is what a person resolves to find a workload's container.
func (r *renderer) dnsName(c lab.Check) string {
	if c.TargetType == lab.TargetName {
		return c.Target
	}
	return r.l.DNSName(c.ToWorkload, c.Network)
}

// probeLine is the command, run in the source container, that does one
// probe by hand; every value in it is quoted for the shell.
func (r *renderer) probeLine(c lab.Check) string {
	addr := r.addrOf(c)
	hostPort := func(def int) string {
		a := addr
		if ip, err := netip.ParseAddr(a); (err == nil && ip.Is6()) || (err != nil && c.Family == lab.FamilyIPv6) {
			a = "[" + a + "]"
		}
		return fmt.Sprintf("%s:%d", a, r.port(c, def))
	}
	q := shellquote.Quote
	switch c.Kind {
	case lab.ProbeICMP:
		return shellquote.Join("ping", "-c", "3", "-W", "1", addr)
	case lab.ProbeTCP:
		// busybox nc has no -z; a probe started with --open answers
		// "overlab-probe <its name>", one of overlab's nothing without
		// the proof of a check's token: the connection is the evidence.
		return shellquote.Join("sh", "-c", fmt.Sprintf("echo | nc -w 2 %s %d", q(addr), r.port(c, probeTCP)))
	case lab.ProbeUDP:
		// busybox nc has no UDP: the probe program inside the image does
		// it. auth: in a probe that overlab started, the last check's token
		// (valid for an hour) proves the datagram; elsewhere none is sent.
		type t struct {
			ID      string `json:"id"`
			Kind    string `json:"kind"`
			Address string `json:"address"`
			Port    int    `json:"port"`
			Auth    bool   `json:"auth"`
		}
		target, _ := json.Marshal([]t{{"udp", "udp", addr, r.port(c, probeUDP), true}})
		return shellquote.Join("/overlab", "probe", "run", "--targets", string(target))
	case lab.ProbeDNS:
		if c.Family == lab.FamilyIPv6 {
			return shellquote.Join("nslookup", "-type=AAAA", r.dnsName(c))
		}
		return shellquote.Join("nslookup", r.dnsName(c))
	case lab.ProbeHTTP:
		// busybox wget has no -T; busybox timeout bounds it.
		return shellquote.Join("timeout", "5", "wget", "-qO-", "http://"+hostPort(probeHTTP)+"/")
	}
	return ""
}

func (r *renderer) checks(checks []lab.Check) []Step {
	var steps []Step
	byRow := map[int][]lab.Check{}
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
			Title: fmt.Sprintf("Check expect #%d: %s → %s on %s (%s): %s%s", row, e.From.Workload, e.To.String(), cs[0].Network, strings.Join(e.Kinds, ", "), exp, underFaults(e))}
		// Look up each target container's address once, on its own host.
		seen := map[string]bool{}
		for _, c := range cs {
			a := r.addrOf(c)
			if c.TargetType != lab.TargetWorkload || !strings.HasPrefix(a, "IP") || seen[a] || c.Kind == lab.ProbeDNS {
				continue
			}
			seen[a] = true
			field := "IPAddress"
			if c.Family == lab.FamilyIPv6 {
				field = "GlobalIPv6Address"
			}
			s.Commands = append(s.Commands, Command{Host: c.ToHost,
				Line:    fmt.Sprintf("docker inspect -f '{{(index .NetworkSettings.Networks \"%s\").%s}}' %s", c.Network, field, r.container(c.ToWorkload)),
				Comment: "prints " + a})
		}
		for _, c := range cs {
			comment := "expect: " + exp
			if c.Engines != "" {
				comment += " on engines " + c.Engines
			}
			if c.Kind == lab.ProbeDNS && c.TargetType == lab.TargetWorkload && c.ToHost != "" {
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
		if w.Kind == lab.KindService {
			s.Commands = append(s.Commands, Command{Host: m.Name, Line: "docker service rm " + w.Name})
		} else {
			for _, h := range r.bp.Placed[w.Name] {
				s.Commands = append(s.Commands, Command{Host: h, Line: "docker rm -f " + w.Name})
			}
		}
	}
	for _, rt := range r.bp.Routes {
		s.Commands = append(s.Commands, Command{Host: rt.Host, Line: "ip route del " + rt.String(), Comment: "as root"})
	}
	for _, n := range r.bp.Networks {
		s.Commands = append(s.Commands, r.removals(n.Creates)...)
	}
	return s, len(s.Commands) > 0
}

// routes are the lab's routes, typed on each host's own shell.
func (r *renderer) routes() (Step, bool) {
	s := Step{Title: "Add the routes", Note: "A route is no Docker object: on the host's own shell, as root. It sends the host's packets for a network's containers to the host that holds them."}
	for _, rt := range r.bp.Routes {
		c := Command{Host: rt.Host, Line: "ip route add " + rt.String(), Comment: fmt.Sprintf("%s's containers on %s", rt.Network, rt.Via)}
		if rt.Note != "" {
			c.Comment += ": " + rt.Note
		}
		s.Commands = append(s.Commands, c)
	}
	return s, len(s.Commands) > 0
}

// removals undo a network's creates: what the swarm holds first (it uses
// the hosts' parts), then each host's, in host order.
func (r *renderer) removals(creates []netdriver.Create) []Command {
	var swarm, hosts []Command
	for i := len(creates) - 1; i >= 0; i-- {
		if c := creates[i]; c.OnManager() {
			swarm = append(swarm, Command{Host: r.on(c), Line: netdriver.RemoveLine(c)})
		}
	}
	for _, c := range creates {
		if !c.OnManager() {
			hosts = append(hosts, Command{Host: c.Host, Line: netdriver.RemoveLine(c)})
		}
	}
	return append(swarm, hosts...)
}
