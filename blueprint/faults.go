package blueprint

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/lab"
)

// faultSteps are a fault lab's faults by hand, made after the lab is up and
// before its checks, and the step that undoes them after: plain commands
// on each host, as root, on its lab interface (the blueprint's parent).
func (r *renderer) faultSteps() (breaks, heal Step, ok bool) {
	if len(r.l.Faults) == 0 {
		return Step{}, Step{}, false
	}
	planned, _, err := r.l.PlanFaults(r.bp.Infos())
	if err != nil {
		return Step{}, Step{}, false
	}
	breaks = Step{Title: "Break the network: the lab's faults", Note: "As root on each host. overlab lab run makes the same faults with overlab fault, which records them on the host so that overlab fault heal (and overlab down) undoes them; the checks below expect what the faults break."}
	heal = Step{Title: "Heal the faults", Note: "The same rules and settings, undone."}
	for _, p := range planned {
		do, undo := byHand(p, r.iface(p.Host))
		for _, l := range do {
			line, comment, _ := strings.Cut(l, "   # ")
			breaks.Commands = append(breaks.Commands, Command{Host: p.Host, Line: line, Comment: comment})
		}
		for _, l := range undo {
			heal.Commands = append(heal.Commands, Command{Host: p.Host, Line: l})
		}
		if p.Wait > 0 {
			breaks.Commands = append(breaks.Commands, Command{Line: fmt.Sprintf("sleep %d", int(p.Wait.Seconds())), Comment: "let the fault take effect"})
		}
	}
	return breaks, heal, true
}

// iface is the lab interface of host h, eth0 when nothing says.
func (r *renderer) iface(h string) string {
	for _, x := range r.bp.Hosts {
		if x.Name == h && x.Parent != "" {
			return x.Parent
		}
	}
	return "eth0"
}

// byHand is a fault as commands on its host, and their undo.
func byHand(p lab.PlannedFault, ifc string) (do, undo []string) {
	s := p.Spec
	switch s.Kind {
	case fault.Block:
		for _, proto := range s.Protos {
			rule := fmt.Sprintf("INPUT -i %s -p %s --dport %d", ifc, proto, s.Port)
			if s.From != "" {
				rule += " -s " + s.From
			}
			do = append(do, "iptables -I "+rule+" -j DROP")
			undo = append(undo, "iptables -D "+rule+" -j DROP")
		}
	case fault.Cut:
		do = []string{"ip link set dev " + ifc + " down   # from a console: not over SSH on this link"}
		undo = []string{"ip link set dev " + ifc + " up"}
	case fault.MTU:
		rule := fmt.Sprintf("INPUT -i %s -p udp --dport 4789 -m length --length %d:65535 -j DROP", ifc, s.MTU+1)
		do = []string{fmt.Sprintf("ip link set dev %s mtu %d", ifc, s.MTU), "iptables -I " + rule}
		undo = []string{"iptables -D " + rule, "ip link set dev " + ifc + " mtu 1500"}
	case fault.Delay, fault.Loss:
		arg := fmt.Sprintf("delay %dms", s.DelayMS)
		if s.Kind == fault.Loss {
			arg = fmt.Sprintf("loss %g%%", s.LossPct)
		}
		do = []string{"tc qdisc add dev " + ifc + " root netem " + arg}
		undo = []string{"tc qdisc del dev " + ifc + " root netem"}
	}
	return do, undo
}

// underFaults says so in a check step's title.
func underFaults(e lab.Expectation) string {
	if e.UnderFaults {
		return " under the faults"
	}
	return ""
}
