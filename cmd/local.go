package cmd

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/local"
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

func newLocalCommand(g *Globals) *cobra.Command {
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
	c.AddCommand(newLocalUpCommand(g, f), newLocalDownCommand(g, f), newLocalStatusCommand(g, f), newLocalRootfsCommand(g))
	return c
}

func newLocalUpCommand(g *Globals, f *localFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "up",
		Short: "Create the lab's hosts and print the path of its inventory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLocalUp(cmd.Context(), g, f, cmd.OutOrStdout())
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

func runLocalUp(ctx context.Context, g *Globals, f *localFlags, out io.Writer) error {
	subnet, err := netip.ParsePrefix(f.subnet)
	if err != nil {
		return fmt.Errorf("--subnet %q: %v (give a CIDR such as 192.168.56.0/24)", f.subnet, err)
	}
	engine, err := local.ParseEngine(f.engine)
	if err != nil {
		return err
	}
	lab := local.Lab{Name: f.name, Hosts: f.hosts, Subnet: subnet, StateRoot: f.stateRoot, Engine: engine}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := local.New(local.WithLogger(g.Logger()), local.WithReadyTimeout(f.timeout), local.WithKeepOnError(f.keep))
	if _, err := p.Up(ctx, lab); err != nil {
		return err
	}
	fmt.Fprintln(out, lab.InventoryPath())
	return nil
}

func newLocalDownCommand(g *Globals, f *localFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Remove the lab: daemons, namespaces, veths, bridge, mounts, state (safe to repeat)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lab, err := local.Load(f.stateRoot, f.name)
			if err != nil {
				// Nothing recorded: still clean whatever the name left behind.
				lab = local.Lab{Name: f.name, StateRoot: f.stateRoot}
			}
			if !lab.Exists() {
				g.Logger().V(0).Infof("lab %q: nothing to remove", f.name)
				return nil
			}
			start := time.Now()
			if err := local.New(local.WithLogger(g.Logger())).Down(cmd.Context(), lab); err != nil {
				return err
			}
			g.Logger().V(0).Infof("lab %q removed in %v", f.name, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

func newLocalStatusCommand(g *Globals, f *localFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "One line per host: name, address, engine version (or down), sshd up, memory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lab, err := local.Load(f.stateRoot, f.name)
			if err != nil {
				return err
			}
			st, err := local.New(local.WithLogger(g.Logger())).Status(cmd.Context(), lab)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tADDRESS\tENGINE\tSSHD\tMEMORY")
			down := 0
			for _, h := range st {
				engine := upDown(h.Engine)
				if h.Engine && h.EngineVersion != "" {
					engine = h.EngineVersion
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d MiB\n", h.Name, h.Address, engine, upDown(h.SSHD), h.MemoryKB/1024)
				if !h.Engine || !h.SSHD {
					down++
				}
			}
			w.Flush()
			if down > 0 {
				return notAsExpected(fmt.Errorf("%d of %d hosts of lab %q are not up", down, len(st), f.name))
			}
			return nil
		},
	}
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
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
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
