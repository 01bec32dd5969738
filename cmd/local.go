//go:build linux

package cmd

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/provider"
)

type localFlags struct {
	name      string
	hosts     int
	subnet    string
	stateRoot string
	timeout   time.Duration
	keep      bool
	engine    string
	logLevel  string
}

// newLocalProvider builds the provider for one command's flags; tests
// pass their own.
type newLocalProvider func(g *Globals, f *localFlags) (provider.Hosts, error)

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
		" (26.1 and 28.5 run from a Debian 13 or forky root filesystem, built once into "+local.DefaultRootfsCache+"); default: this machine's dockerd")
	c.Flags().StringVar(&f.logLevel, "engine-log-level", "", "each dockerd's --log-level (default warn); debug keeps the evidence of engine races in hosts/nodeI/dockerd.log")
	return c
}

func newLocalDownCommand(g *Globals, f *localFlags, newProvider newLocalProvider) *cobra.Command {
	return providerDownCommand("Remove the lab: daemons, namespaces, veths, bridge, mounts, state (safe to repeat)",
		func() (provider.Hosts, error) { return newProvider(g, f) })
}

func newLocalStatusCommand(g *Globals, f *localFlags, newProvider newLocalProvider) *cobra.Command {
	return providerStatusCommand("One line per host: name, address, up or down, engine version, sshd, memory",
		func() (provider.Hosts, error) { return newProvider(g, f) },
		func() string { return fmt.Sprintf("lab %q", f.name) })
}

// newLocalHosts is the real provider of local lab hosts.
func newLocalHosts(g *Globals, f *localFlags) (provider.Hosts, error) {
	return provider.Local(provider.LocalConfig{Name: f.name, Hosts: f.hosts, Subnet: f.subnet, StateRoot: f.stateRoot,
		Engine: f.engine, EngineLogLevel: f.logLevel, Wait: f.timeout, Keep: f.keep, Logger: g.Logger()})
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
	c.Flags().StringVar(&engine, "engine", engine, "engine generation whose root filesystem to build: "+strings.Join(chrootedEngines(), " or "))
	return c
}

// chrootedEngines are the engines that run from a root filesystem.
func chrootedEngines() []string {
	var out []string
	for _, n := range local.EngineNames() {
		if e, _ := local.ParseEngine(n); e.Chrooted() {
			out = append(out, n)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
