package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/shellquote"
	"github.com/overlab/overlab/validname"
)

// dadWait bounds the wait for a bridge's IPv6 addresses: duplicate address
// detection takes about a second (one probe, a second apart, after a random
// delay of up to a second).
const dadWait = 10 * time.Second

// settleIPv6 waits until no global IPv6 address of the lab's IPv6 bridges
// is tentative on the hosts that run their workloads. Before Docker 28.0 a
// bridge's gateway address goes through duplicate address detection (28.0
// turned it off, moby#48609; the link-local one still does it there, and
// nothing needs it); while it does, nothing is routed from one
// bridge to another over IPv6, and a check in that second finds a pair that
// is not broken, only not ready (seen: the ipv6 lab's row between two
// bridges failed on 20.10 and 26.1 once the lab came up in 2 s).
func settleIPv6(ctx context.Context, c *cluster.Cluster, l *lab.Lab, placed map[string][]string) error {
	nets := ipv6Bridges(l, placed)
	if len(nets) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, dadWait+5*time.Second)
	defer cancel()
	return c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		var bridges []string
		for _, name := range nets[n.Name()] {
			nw, err := n.Docker().NetworkInspect(ctx, name, network.InspectOptions{})
			if err != nil {
				return fmt.Errorf("network %s: %w", name, err)
			}
			b := netdriver.BridgeName(nw.ID, nw.Name, nw.Options)
			// The name goes into a script: only what an interface name holds.
			if err := validname.Interface(b); err != nil {
				return fmt.Errorf("network %s: its bridge: %w", name, err)
			}
			bridges = append(bridges, b)
		}
		if len(bridges) == 0 {
			return nil
		}
		out, err := n.Run(ctx, "sh -c "+shellquote.Quote(dadScript(bridges)))
		switch {
		case err == nil:
			return nil
		case execx.ExitCode(err) == 1:
			return fmt.Errorf("IPv6 addresses of %s still tentative after %v (duplicate address detection): %s",
				strings.Join(bridges, ", "), dadWait, strings.TrimSpace(string(out)))
		default:
			return fmt.Errorf("looking at the IPv6 addresses of %s: %w", strings.Join(bridges, ", "), err)
		}
	})
}

// ipv6Bridges lists, per host, the lab's IPv6 bridge networks that some
// workload placed there attaches.
func ipv6Bridges(l *lab.Lab, placed map[string][]string) map[string][]string {
	v6 := map[string]bool{}
	for _, n := range l.Networks {
		if netdriver.Of(n.Driver).Traits().Objects == netdriver.ObjectsBridge && n.IPv6 && !n.Default {
			v6[n.Name] = true
		}
	}
	seen := map[string]map[string]bool{}
	for _, w := range l.Workloads {
		for _, a := range w.Networks {
			if !v6[a.Network] {
				continue
			}
			for _, h := range placed[w.Name] {
				if seen[h] == nil {
					seen[h] = map[string]bool{}
				}
				seen[h][a.Network] = true
			}
		}
	}
	out := map[string][]string{}
	for h, ns := range seen {
		for n := range ns {
			out[h] = append(out[h], n)
		}
		sort.Strings(out[h])
	}
	return out
}

// dadScript polls the bridges' tentative global IPv6 addresses every 100 ms and
// exits 0 once there are none, 1 (printing them) after dadWait. A host
// without iproute2 is not waited for.
func dadScript(bridges []string) string {
	var cond []string
	for _, b := range bridges {
		cond = append(cond, `$2=="`+b+`"`)
	}
	tries := int(dadWait / (100 * time.Millisecond))
	return fmt.Sprintf(`command -v ip >/dev/null || exit 0
i=0
while :; do
  t=$(ip -6 -o addr show scope global tentative | awk '%s')
  [ -z "$t" ] && exit 0
  i=$((i+1))
  [ $i -ge %d ] && { echo "$t"; exit 1; }
  sleep 0.1
done`, strings.Join(cond, " || "), tries)
}
