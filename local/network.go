//go:build linux

package local

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/overlab/overlab/execx"
)

// ipBatch runs several `ip` commands in one process (optionally inside a
// network namespace); one fork per host instead of one per command.
func ipBatch(ctx context.Context, b Binaries, netns string, cmds ...string) error {
	args := []string{b.IP}
	if netns != "" {
		args = append(args, "-n", netns)
	}
	args = append(args, "-batch", "-")
	cmd := execx.Command(ctx, args...)
	cmd.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	return execx.RunCmd(cmd)
}

func (l Lab) createBridge(ctx context.Context, b Binaries) error {
	br := l.Bridge()
	return ipBatch(ctx, b, "",
		"link add "+br+" type bridge",
		fmt.Sprintf("addr add %s/%d dev %s", l.BridgeAddr(), l.Subnet.Bits(), br),
		"link set "+br+" up",
	)
}

// wireHost creates host i's namespace and its eth0 on the underlay bridge.
// No default route is ever added: the host is offline by construction.
func (l Lab) wireHost(ctx context.Context, b Binaries, i int) error {
	ns, veth := l.Netns(i), l.HostVeth(i)
	if err := ipBatch(ctx, b, "",
		"netns add "+ns,
		"link add "+veth+" type veth peer name eth0 netns "+ns,
		"link set "+veth+" master "+l.Bridge()+" up",
	); err != nil {
		return err
	}
	return ipBatch(ctx, b, ns,
		fmt.Sprintf("addr add %s/%d dev eth0", l.HostAddr(i), l.Subnet.Bits()),
		"link set eth0 up",
		"link set lo up",
	)
}

func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// machinePrefixes lists the addresses and routed destinations of the
// machine's own network namespace, each with where it comes from.
func machinePrefixes() (map[netip.Prefix]string, error) {
	out := map[netip.Prefix]string{}
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			p, err := netip.ParsePrefix(ipn.String())
			if err != nil || !p.Addr().Is4() || p.Addr().IsLoopback() {
				continue
			}
			out[p.Masked()] = fmt.Sprintf("address %s on %s", p, ifc.Name)
		}
	}
	routes, err := readRoutes("/proc/net/route")
	if err != nil {
		return out, nil // routes are a refinement; addresses are the essential part
	}
	for p, dev := range routes {
		if _, seen := out[p]; !seen {
			out[p] = fmt.Sprintf("route %s via %s", p, dev)
		}
	}
	return out, nil
}

// readRoutes parses /proc/net/route (IPv4, little-endian hex), skipping the
// default route, which overlaps everything by definition.
func readRoutes(path string) (map[netip.Prefix]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[netip.Prefix]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 8 {
			continue
		}
		dst, err1 := hexIP(fs[1])
		mask, err2 := hexIP(fs[7])
		if err1 != nil || err2 != nil {
			continue
		}
		bits, _ := net.IPMask(mask.AsSlice()).Size()
		if bits == 0 {
			continue
		}
		out[netip.PrefixFrom(dst, bits).Masked()] = fs[0]
	}
	return out, sc.Err()
}

func hexIP(s string) (netip.Addr, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return netip.Addr{}, fmt.Errorf("bad route field %q", s)
	}
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], binary.LittleEndian.Uint32(b))
	return netip.AddrFrom4(a), nil
}

// overlapping returns what on the machine overlaps subnet.
func overlapping(subnet netip.Prefix, machine map[netip.Prefix]string) []string {
	var hits []string
	for p, what := range machine {
		if p.Overlaps(subnet) {
			hits = append(hits, what)
		}
	}
	return hits
}
