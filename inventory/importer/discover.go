package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/inventory"
)

// Runner runs a shell command on a host and returns its standard output.
// The cluster package provides the SSH implementation.
type Runner interface {
	Run(ctx context.Context, h inventory.Host, command string) ([]byte, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, h inventory.Host, command string) ([]byte, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, h inventory.Host, command string) ([]byte, error) {
	return f(ctx, h, command)
}

// AddrCommand lists a host's addresses, one interface address per line.
const AddrCommand = "ip -o addr show"

// DiscoverAddresses asks every host, concurrently, for its addresses and
// picks the one inside subnet: the lab address that ssh-config output does
// not tell. A host with none or several is an error; every host's error is
// reported, prefixed with its name.
func DiscoverAddresses(ctx context.Context, r Runner, hosts []inventory.Host, subnet netip.Prefix) (map[string]string, error) {
	addrs := make([]string, len(hosts))
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	err := fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		var err error
		addrs[i], err = discoverOne(ctx, r, hosts[i], subnet)
		return err
	})
	out := make(map[string]string, len(hosts))
	for i, h := range hosts {
		if addrs[i] != "" {
			out[h.Name] = addrs[i]
		}
	}
	var errs *multierror.Error
	if errors.As(err, &errs) {
		return out, tidy(errs)
	}
	return out, err
}

func discoverOne(ctx context.Context, r Runner, h inventory.Host, subnet netip.Prefix) (string, error) {
	stdout, err := r.Run(ctx, h, AddrCommand)
	if err != nil {
		return "", fmt.Errorf("listing addresses: %w", err)
	}
	var in []string
	for _, a := range ParseIPAddr(stdout) {
		if subnet.Contains(a.Addr) {
			in = append(in, fmt.Sprintf("%s on %s", a.Addr, a.Interface))
		}
	}
	switch len(in) {
	case 0:
		return "", fmt.Errorf("no address inside %s; is the private network up (vagrant reload), or is --lab-subnet wrong?", subnet)
	case 1:
		return strings.SplitN(in[0], " ", 2)[0], nil
	default:
		return "", fmt.Errorf("several addresses inside %s (%s); pass a narrower --lab-subnet", subnet, strings.Join(in, ", "))
	}
}

// IfaceAddr is one address of `ip -o addr show`.
type IfaceAddr struct {
	Interface string
	Addr      netip.Addr
}

// ParseIPAddr reads `ip -o addr show` output
// ("3: eth1    inet 192.168.56.11/24 brd ... scope global eth1\ ...").
// Lines it does not understand are skipped.
func ParseIPAddr(out []byte) []IfaceAddr {
	var addrs []IfaceAddr
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || (f[2] != "inet" && f[2] != "inet6") {
			continue
		}
		p, err := netip.ParsePrefix(f[3])
		if err != nil {
			continue
		}
		iface, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@") // veth: eth0@if12
		addrs = append(addrs, IfaceAddr{Interface: iface, Addr: p.Addr()})
	}
	return addrs
}
