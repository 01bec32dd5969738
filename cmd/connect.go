package cmd

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
)

// ConnectFlags are the persistent flags of every command that reaches the
// hosts; embedded in Globals.
type ConnectFlags struct {
	Parallel       int
	ConnectTimeout time.Duration
	OpTimeout      time.Duration
	TrustNewHosts  bool
}

func (f *ConnectFlags) addFlags(pf *pflag.FlagSet) {
	pf.IntVar(&f.Parallel, "parallel", 16, "work on at most this many hosts at once")
	pf.DurationVar(&f.ConnectTimeout, "connect-timeout", 10*time.Second, "time allowed for each SSH connection (TCP and handshake, per hop)")
	pf.DurationVar(&f.OpTimeout, "timeout", 60*time.Second, "time allowed for each remote operation (a command, a Docker API connection)")
	pf.BoolVar(&f.TrustNewHosts, "trust-new-hosts", false, "accept host keys that known_hosts lacks and record them in it (a changed key is always refused)")
}

// connect loads the inventory and connects to every host. The cluster is
// returned whenever the inventory loaded, holding the hosts that answered;
// the error then names each host that did not (cluster.Down has them too).
func (g *Globals) connect(ctx context.Context) (*cluster.Cluster, []inventory.Host, error) {
	inv, hosts, err := g.loadInventory()
	if err != nil {
		return nil, nil, err
	}
	g.timeScale = inv.Defaults.TimeScale
	g.ConnectTimeout = g.scaled("connect-timeout", g.ConnectTimeout)
	g.OpTimeout = g.scaled("timeout", g.OpTimeout)
	c, err := cluster.Connect(ctx, hosts,
		cluster.WithLogger(g.Logger()),
		cluster.WithParallel(g.Parallel),
		cluster.WithConnectTimeout(g.ConnectTimeout),
		cluster.WithOpTimeout(g.OpTimeout),
		cluster.WithTrustNewHosts(g.TrustNewHosts),
	)
	return c, hosts, err
}

// scaled multiplies d by the inventory's time_scale unless the flag name
// was given: a flag says exactly what the user wants.
func (g *Globals) scaled(name string, d time.Duration) time.Duration {
	if g.timeScale <= 1 || (g.flagChanged != nil && g.flagChanged(name)) {
		return d
	}
	return time.Duration(float64(d) * g.timeScale)
}
