package fault

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/overlab/overlab/hostcmd"
	"github.com/overlab/overlab/shellquote"
)

// ErrNoNetem: the host's kernel cannot delay or drop packets with tc netem.
var ErrNoNetem = errors.New("no netem (sch_netem) in this kernel: delay and loss faults need it (real VMs usually have it: modprobe sch_netem)")

// CutsSSHError: cutting the link would cut overlab's own SSH to the host.
type CutsSSHError struct {
	Host, Iface, SSHTo string
}

func (e *CutsSSHError) Error() string {
	return fmt.Sprintf("%s: overlab's SSH reaches it at %s on its lab interface %s: taking the link down would cut overlab off and heal could not undo it; "+
		"use --spare-ssh to drop every lab packet but overlab's SSH (iptables), or --force to take the link down anyway (then heal needs a console)", e.Host, e.SSHTo, e.Iface)
}

// plan is the shell that makes a fault and the shell that undoes it.
type plan struct {
	do, undo, what string
}

func ipt(action, rule, id string) string {
	return "iptables -w 5 " + action + " " + Chain + " " + rule + " -m comment --comment overlab-fault-" + id + " -j DROP"
}

// iptPlan makes the rules in our chain; undo deletes exactly them.
func iptPlan(rules []string, id string) (do, undo string) {
	var d, u []string
	for _, r := range rules {
		d = append(d, ipt("-A", r, id))
		u = append(u, ipt("-D", r, id)+" 2>/dev/null || true")
	}
	return ensureChain + "\n" + strings.Join(d, "\n"), strings.Join(u, "\n") + "\n" + dropChainIfEmpty
}

const ensureChain = `iptables -w 5 -N ` + Chain + ` 2>/dev/null || true
for c in INPUT OUTPUT FORWARD; do iptables -w 5 -C $c -j ` + Chain + ` 2>/dev/null || iptables -w 5 -I $c 1 -j ` + Chain + ` || exit 1; done`

const dropChainIfEmpty = `if iptables -w 5 -S ` + Chain + ` >/dev/null 2>&1 && ! iptables -w 5 -S ` + Chain + ` | grep -q '^-A'; then
  for c in INPUT OUTPUT FORWARD; do while iptables -w 5 -D $c -j ` + Chain + ` 2>/dev/null; do :; done; done
  iptables -w 5 -X ` + Chain + `
fi`

// spareSSHCut drops every packet in or out of the lab interface but those
// of overlab's address (only its SSH goes to or comes from it in a lab):
// iptables rules, which doctor reads; and where the host has nft, the same
// at the interface itself (netdev ingress and egress hooks), since the
// frames of macvlan children pass beside the host's iptables.
func spareSSHCut(ifc, id string, li LinkInfo) plan {
	do, undo := iptPlan([]string{"-i " + ifc + " ! -s " + li.SSHFrom, "-o " + ifc + " ! -d " + li.SSHFrom}, id)
	what := fmt.Sprintf("lab link %s cut (iptables: every packet in or out dropped but those of overlab's SSH from %s; macvlan children pass: they bypass iptables)", ifc, li.SSHFrom)
	if !li.NFT {
		return plan{do, undo, what}
	}
	table := "overlab-fault-" + id
	rules := fmt.Sprintf(`table netdev %[1]s {
 chain in { type filter hook ingress device %[2]q priority -500; policy accept; ip saddr %[3]s accept; arp saddr ip %[3]s accept; drop; }
 chain out { type filter hook egress device %[2]q priority -500; policy accept; ip daddr %[3]s accept; arp daddr ip %[3]s accept; drop; }
}`, table, ifc, li.SSHFrom)
	do += "\nprintf '%s\\n' " + shellquote.Quote(rules) + " | nft -f -"
	undo = "nft delete table netdev " + table + " 2>/dev/null || true\n" + undo
	what = fmt.Sprintf("lab link %s cut (every frame in or out dropped but those of overlab's SSH from %s: nft on the interface, macvlan children too, and iptables)", ifc, li.SSHFrom)
	return plan{do, undo, what}
}

// mtuPlan sets the lab interface's MTU, and drops the VXLAN packets above
// it that arrive. A real NIC (and a veth) drops received frames longer than
// its MTU; a virtio NIC accepts them, so that without the rule a smaller
// MTU on a VM would break nothing the probes see. The rule makes every
// host behave like the NIC it stands for; it is one more line of the
// OVERLAB-FAULT chain, and goes with the MTU.
func mtuPlan(ifc, id string, mtu, was int) plan {
	do, undo := iptPlan([]string{fmt.Sprintf("-i %s -p udp --dport 4789 -m length --length %d:65535", ifc, mtu+1)}, id)
	return plan{
		do:   fmt.Sprintf("ip link set dev %s mtu %d\n%s", ifc, mtu, do),
		undo: fmt.Sprintf("ip link set dev %s mtu %d\n%s", ifc, was, undo),
		what: fmt.Sprintf("%s MTU %d (was %d); VXLAN packets above %d bytes that arrive are dropped, as by a NIC of that MTU", ifc, mtu, was, mtu),
	}
}

func (s Spec) plan(host, id string, li LinkInfo) (plan, error) {
	ifc := li.Iface
	if s.AutoSpare && li.SSHOnLab {
		s.SpareSSH = true
	}
	switch s.Kind {
	case Cut:
		if s.SpareSSH {
			if li.SSHFrom == "" {
				return plan{}, fmt.Errorf("%s: the host did not say where overlab's SSH comes from ($SSH_CONNECTION is empty): cannot spare it", host)
			}
			return spareSSHCut(ifc, id, li), nil
		}
		if li.SSHOnLab && !s.Force {
			return plan{}, &CutsSSHError{Host: host, Iface: ifc, SSHTo: li.SSHTo}
		}
		return plan{"ip link set dev " + ifc + " down", "ip link set dev " + ifc + " up", "lab link " + ifc + " down"}, nil
	case Block:
		var rules []string
		for _, p := range s.Protos {
			r := fmt.Sprintf("-i %s -p %s --dport %d", ifc, p, s.Port)
			if s.From != "" {
				r += " -s " + s.From
			}
			rules = append(rules, r)
		}
		do, undo := iptPlan(rules, id)
		from := "every peer"
		if s.From != "" {
			from = s.FromName + " (" + s.From + ")"
		}
		return plan{do, undo, fmt.Sprintf("%d/%s blocked from %s (iptables DROP on %s)", s.Port, strings.Join(s.Protos, "+"), from, ifc)}, nil
	case MTU:
		return mtuPlan(ifc, id, s.MTU, li.MTU), nil
	case Delay, Loss:
		arg, what := fmt.Sprintf("delay %dms", s.DelayMS), fmt.Sprintf("%d ms delay on %s (tc netem)", s.DelayMS, ifc)
		if s.Kind == Loss {
			arg, what = fmt.Sprintf("loss %g%%", s.LossPct), fmt.Sprintf("%g%% loss on %s (tc netem)", s.LossPct, ifc)
		}
		return plan{"tc qdisc add dev " + ifc + " root netem " + arg, "tc qdisc del dev " + ifc + " root netem", what}, nil
	}
	return plan{}, s.Validate()
}

// Inject makes the fault on h (whose lab address is labAddr) and records
// it. A fault that fails half-way is undone before the error returns.
func Inject(ctx context.Context, h hostcmd.Host, labAddr string, s Spec) (Fault, error) {
	if err := s.Validate(); err != nil {
		return Fault{}, err
	}
	li, err := Probe(ctx, h, labAddr)
	if err != nil {
		return Fault{}, err
	}
	have, err := List(ctx, h)
	if err != nil {
		return Fault{}, err
	}
	id := fmt.Sprintf("%d", nextID(have))
	p, err := s.plan(h.Name(), id, li)
	if err != nil {
		return Fault{}, err
	}
	f := Fault{ID: id, Host: h.Name(), Kind: s.Kind, What: p.what, Undo: p.undo}
	if _, err := hostcmd.RunRoot(ctx, h, "set -e\n"+p.do); err != nil {
		_, _ = hostcmd.RunRoot(context.WithoutCancel(ctx), h, p.undo)
		if strings.Contains(err.Error(), "qdisc kind is unknown") {
			return Fault{}, fmt.Errorf("%s: %w", h.Name(), ErrNoNetem)
		}
		return Fault{}, fmt.Errorf("%s: making the fault (%s): %w", h.Name(), p.what, err)
	}
	if err := record(ctx, h, f); err != nil {
		_, _ = hostcmd.RunRoot(context.WithoutCancel(ctx), h, p.undo)
		return Fault{}, err
	}
	return f, nil
}

func nextID(have []Fault) int {
	n := 0
	for _, f := range have {
		var i int
		if _, err := fmt.Sscanf(f.ID, "%d", &i); err == nil && i > n {
			n = i
		}
	}
	return n + 1
}
