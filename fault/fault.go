package fault

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/overlab/overlab/hostcmd"
	"github.com/overlab/overlab/shellquote"
)

// Kinds of fault.
const (
	Cut   = "cut"
	Block = "block"
	MTU   = "mtu"
	Delay = "delay"
	Loss  = "loss"
)

// RecordPath is where a host keeps its faults: under /var/run, so that a
// reboot forgets them together with the rules they made.
const RecordPath = "/var/run/overlab-faults"

// Chain holds every iptables rule a fault makes; INPUT, OUTPUT and FORWARD
// jump to it first.
const Chain = "OVERLAB-FAULT"

// Spec is a fault to make on one host.
type Spec struct {
	Kind string
	// Port and Protos for block: 4789 and [udp], 7946 and [tcp udp].
	Port   int
	Protos []string
	// From limits block to one peer's address ("" blocks from everyone).
	From     string
	FromName string
	MTU      int
	DelayMS  int
	LossPct  float64
	// SpareSSH cuts everything but overlab's own SSH connection (iptables)
	// instead of taking the link down; Force takes it down even though SSH
	// goes over it. AutoSpare spares overlab's SSH only where it comes in
	// over the lab link, and otherwise takes the link down: what a lab does.
	SpareSSH  bool
	Force     bool
	AutoSpare bool
}

// Fault is one recorded fault.
type Fault struct {
	ID   string `json:"id"`
	Host string `json:"host"`
	Kind string `json:"kind"`
	What string `json:"what"`
	Undo string `json:"-"`
}

// ParsePort reads PORT/PROTO with PROTO tcp, udp or tcp+udp.
func ParsePort(s string) (int, []string, error) {
	p, proto, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(p)
	if !ok || err != nil || n < 1 || n > 65535 {
		return 0, nil, fmt.Errorf("port %q: want PORT/PROTO, e.g. 4789/udp or 7946/tcp+udp", s)
	}
	var protos []string
	for _, x := range strings.Split(proto, "+") {
		if x != "tcp" && x != "udp" {
			return 0, nil, fmt.Errorf("port %q: protocol %q is not tcp, udp or tcp+udp", s, x)
		}
		protos = append(protos, x)
	}
	return n, protos, nil
}

// Validate says what is wrong with s before anything is touched.
func (s Spec) Validate() error {
	switch s.Kind {
	case Cut:
	case Block:
		if s.Port < 1 || s.Port > 65535 || len(s.Protos) == 0 {
			return errors.New("block needs PORT/PROTO, e.g. 4789/udp")
		}
	case MTU:
		if s.MTU < 576 || s.MTU > 65535 {
			return fmt.Errorf("mtu %d: want 576-65535 bytes (IPv4 needs at least 576)", s.MTU)
		}
	case Delay:
		if s.DelayMS < 1 || s.DelayMS > 10000 {
			return fmt.Errorf("delay %d ms: want 1-10000", s.DelayMS)
		}
	case Loss:
		if s.LossPct <= 0 || s.LossPct > 100 {
			return fmt.Errorf("loss %g%%: want more than 0 and at most 100", s.LossPct)
		}
	default:
		return fmt.Errorf("unknown fault %q: want cut, block, mtu, delay or loss", s.Kind)
	}
	return nil
}

// LinkInfo is what a host says about its lab link and overlab's SSH path.
type LinkInfo struct {
	Iface    string // interface holding the lab address
	MTU      int
	SSHFrom  string // overlab's address as the host sees it
	SSHTo    string // the host address SSH reached
	SSHPort  string
	SSHOnLab bool // SSH comes in on the lab interface
	NFT      bool // the host has nft: a spared-SSH cut also cuts macvlan
}

// Probe learns the host's lab interface and how overlab's SSH reaches it.
func Probe(ctx context.Context, h hostcmd.Host, labAddr string) (LinkInfo, error) {
	script := `a=` + shellquote.Quote(labAddr) + `
if=$(ip -o addr show | awk -v a="$a" '{split($4,p,"/"); if (p[1]==a) {print $2; exit}}')
[ -n "$if" ] || { echo "no interface holds $a" >&2; exit 3; }
# ip, not /sys: a host in a network namespace may see another namespace's sysfs.
echo "$if $(ip -o link show dev "$if" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"
echo "$SSH_CONNECTION"
set -- $SSH_CONNECTION
ip -o addr show dev "$if" | awk -v s="$3" '{split($4,p,"/"); if (p[1]==s) print "onlab"}'
if command -v nft >/dev/null 2>&1; then echo nft; fi`
	out, err := h.Run(ctx, script)
	if err != nil {
		return LinkInfo{}, fmt.Errorf("%s: finding the interface of %s: %w", h.Name(), labAddr, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var li LinkInfo
	if f := strings.Fields(lines[0]); len(f) == 2 {
		li.Iface = f[0]
		li.MTU, _ = strconv.Atoi(f[1])
	}
	if len(lines) > 1 {
		if f := strings.Fields(lines[1]); len(f) == 4 {
			li.SSHFrom, li.SSHTo, li.SSHPort = f[0], f[2], f[3]
		}
	}
	for _, l := range lines[min(2, len(lines)):] {
		switch strings.TrimSpace(l) {
		case "onlab":
			li.SSHOnLab = true
		case "nft":
			li.NFT = true
		}
	}
	if li.Iface == "" {
		return li, fmt.Errorf("%s: could not read the interface of %s from %q", h.Name(), labAddr, out)
	}
	return li, nil
}
