//go:build linux

package cmd

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/runner"
)

type localFlags struct {
	name      string
	hosts     int
	subnet    string
	stateRoot string
	timeout   time.Duration
	keep      bool
	engine    string
}

// newLocalProvider builds the provider for one command's flags; tests
// pass their own.
type newLocalProvider func(g *Globals, f *localFlags) (hostProvider, error)

func newLocalCommand(g *Globals, newProvider newLocalProvider) *cobra.Command {
	f := &localFlags{}
	c := &cobra.Command{
		Use:   "local",
		Short: "Local lab hosts: real Docker hosts in network namespaces on this machine",
		Long: "Runs N real Docker hosts on this Linux machine, each a network namespace with its own\n" +
			"dockerd and OpenSSH sshd on an underlay bridge, reached like VMs: over SSH with strict host keys.",
	}
	pf := c.PersistentFlags()
	pf.StringVar(&f.name, "name", local.DefaultName, "lab name (several labs with different names and subnets can run side by side)")
	pf.StringVar(&f.stateRoot, "state-dir", envOr("OVERLAB_LOCAL_STATE", local.DefaultStateRoot), "where labs keep keys, logs, pid files and data roots")
	c.AddCommand(newLocalUpCommand(g, f, newProvider), newLocalDownCommand(g, f, newProvider), newLocalStatusCommand(g, f, newProvider), newLocalRootfsCommand(g))
	return c
}

func newLocalUpCommand(g *Globals, f *localFlags, newProvider newLocalProvider) *cobra.Command {
	c := &cobra.Command{
		Use:   "up",
		Short: "Create the lab's hosts and print the path of its inventory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := newProvider(g, f)
			if err != nil {
				return couldNotRun(err)
			}
			inv, err := p.Up(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), inv)
			return nil
		},
	}
	c.Flags().IntVar(&f.hosts, "hosts", local.DefaultHosts, "number of hosts (node1..nodeN)")
	c.Flags().StringVar(&f.subnet, "subnet", local.DefaultSubnet.String(), "underlay subnet; host i gets .10+i, this machine .1")
	c.Flags().DurationVar(&f.timeout, "wait", 60*time.Second, "how long to wait for every engine and sshd")
	c.Flags().BoolVar(&f.keep, "keep-on-error", false, "leave a lab that failed to come up in place, for debugging")
	c.Flags().StringVar(&f.engine, "engine", "", "Docker Engine generation of the hosts: "+strings.Join(local.EngineNames(), " or ")+
		" (26.1 runs from a Debian 13 root filesystem, built once into "+local.DefaultRootfsCache+"); default: this machine's dockerd")
	return c
}

func newLocalDownCommand(g *Globals, f *localFlags, newProvider newLocalProvider) *cobra.Command {
	return providerDownCommand("Remove the lab: daemons, namespaces, veths, bridge, mounts, state (safe to repeat)",
		func() (hostProvider, error) { return newProvider(g, f) })
}

func newLocalStatusCommand(g *Globals, f *localFlags, newProvider newLocalProvider) *cobra.Command {
	return providerStatusCommand("One line per host: name, address, up or down, engine version, sshd, memory",
		func() (hostProvider, error) { return newProvider(g, f) },
		func() string { return fmt.Sprintf("lab %q", f.name) })
}

// localHosts binds a local.Provider to one lab.
type localHosts struct {
	g *Globals
	f *localFlags
}

func newLocalHosts(g *Globals, f *localFlags) (hostProvider, error) {
	if err := local.ValidName(f.name); err != nil {
		return nil, err
	}
	return &localHosts{g: g, f: f}, nil
}

func (l *localHosts) provider() *local.Provider {
	return local.New(local.WithLogger(l.g.Logger()), local.WithReadyTimeout(l.f.timeout), local.WithKeepOnError(l.f.keep))
}

func (l *localHosts) Up(ctx context.Context) (string, error) {
	subnet, err := netip.ParsePrefix(l.f.subnet)
	if err != nil {
		return "", couldNotRunf("--subnet %q: %v (give a CIDR such as 192.168.56.0/24)", l.f.subnet, err)
	}
	engine, err := local.ParseEngine(l.f.engine)
	if err != nil {
		return "", couldNotRun(err)
	}
	lab := local.Lab{Name: l.f.name, Hosts: l.f.hosts, Subnet: subnet, StateRoot: l.f.stateRoot, Engine: engine}
	if _, err := l.provider().Up(ctx, lab); err != nil {
		return "", err
	}
	return lab.InventoryPath(), nil
}

func (l *localHosts) Down(ctx context.Context) error {
	lab, err := local.Load(l.f.stateRoot, l.f.name)
	if err != nil {
		// Nothing recorded: still clean whatever the name left behind.
		lab = local.Lab{Name: l.f.name, StateRoot: l.f.stateRoot}
	}
	if !lab.Exists() {
		l.g.Logger().V(0).Infof("lab %q: nothing to remove", l.f.name)
		return nil
	}
	start := time.Now()
	if err := l.provider().Down(ctx, lab); err != nil {
		return err
	}
	l.g.Logger().V(0).Infof("lab %q removed in %v", l.f.name, time.Since(start).Round(time.Millisecond))
	return nil
}

func (l *localHosts) Status(ctx context.Context) ([]providerHost, error) {
	lab, err := local.Load(l.f.stateRoot, l.f.name)
	if err != nil {
		return nil, err
	}
	st, err := l.provider().Status(ctx, lab)
	if err != nil {
		return nil, err
	}
	hosts := make([]providerHost, 0, len(st))
	for _, h := range st {
		engine := "engine " + upDown(h.Engine)
		if h.Engine && h.EngineVersion != "" {
			engine = "engine " + h.EngineVersion
		}
		up := h.Engine && h.SSHD
		hosts = append(hosts, providerHost{Name: h.Name, Address: h.Address, State: upDown(up), Up: up,
			Detail: fmt.Sprintf("%s, sshd %s, %d MiB", engine, upDown(h.SSHD), h.MemoryKB/1024)})
	}
	return hosts, nil
}

func (l *localHosts) Inventory() string {
	return local.Lab{Name: l.f.name, StateRoot: l.f.stateRoot}.InventoryPath()
}

func newLocalRootfsCommand(g *Globals) *cobra.Command {
	engine := "26.1"
	c := &cobra.Command{
		Use:   "rootfs",
		Short: "Build an engine's root filesystem into the cache now (once; `local up --engine` does it when needed) and print its path",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := local.ParseEngine(engine)
			if err != nil {
				return err
			}
			if !e.Chrooted() {
				return fmt.Errorf("--engine %s is this machine's own dockerd: it needs no root filesystem", engine)
			}
			ctx := cmd.Context()
			dir, err := local.New(local.WithLogger(g.Logger())).Rootfs(ctx, e)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), dir)
			return nil
		},
	}
	c.Flags().StringVar(&engine, "engine", engine, "engine generation whose root filesystem to build")
	return c
}

// localRestarter lets the runner restart an engine of a local lab, which
// overlab itself started, when Docker left it broken.
func localRestarter(g *Globals) []runner.Option {
	if l, ok := local.OwnsInventory(g.inventoryPath()); ok {
		return []runner.Option{runner.WithEngineRestarter(local.New(local.WithLogger(g.Logger())).Restarter(l))}
	}
	return nil
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "down"
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
