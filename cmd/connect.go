package cmd

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/overlab/overlab/session"
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

// maxParallel bounds --parallel: each host at work holds an SSH connection
// and a few sessions.
const maxParallel = 256

// sessionConfig is how this command reaches the inventory's hosts.
func (g *Globals) sessionConfig() session.Config {
	return session.Config{
		Inventory:      g.Inventory,
		Parallel:       g.Parallel,
		ConnectTimeout: g.ConnectTimeout,
		OpTimeout:      g.OpTimeout,
		TrustNewHosts:  g.TrustNewHosts,
		Explicit:       g.flagChanged,
		Logger:         g.Logger(),
	}
}

// open opens the command's session; its errors mean the command could not
// run (exit code 2).
func (g *Globals) open(ctx context.Context, opts ...session.OpenOption) (*session.Session, error) {
	s, err := session.Open(ctx, g.sessionConfig(), opts...)
	if err != nil {
		return nil, couldNotRun(err)
	}
	return s, nil
}

// loadInventory loads the inventory without connecting.
func (g *Globals) loadInventory() (*session.Session, error) {
	s, err := session.Load(g.sessionConfig())
	if err != nil {
		return nil, couldNotRun(err)
	}
	return s, nil
}
