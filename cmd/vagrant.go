package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/provider"
	"github.com/overlab/overlab/vagrant"
)

// vagrantFlags are the parameters of one VM cluster.
type vagrantFlags struct {
	dir         string
	nodes       int // up
	downNodes   int // down: 0 for what up recorded
	provider    string
	box         string
	output      string
	upTimeout   time.Duration
	keepOnError bool
	driver      string
}

// newVagrantProvider builds the provider for one command's flags; tests
// pass their own.
type newVagrantProvider func(g *Globals, f *vagrantFlags) (provider.Hosts, error)

func newVagrantCommand(g *Globals, newProvider newVagrantProvider) *cobra.Command {
	f := &vagrantFlags{}
	c := &cobra.Command{
		Use:   "vagrant",
		Short: "A real VM cluster from the repository's Vagrantfile, with its inventory",
	}
	c.PersistentFlags().StringVar(&f.dir, "dir", ".", "directory of the Vagrantfile")
	c.AddCommand(
		newVagrantUpCommand(g, f, newProvider),
		newVagrantDownCommand(g, f, newProvider),
		newVagrantStatusCommand(g, f, newProvider),
	)
	return c
}

func newVagrantUpCommand(g *Globals, f *vagrantFlags, newProvider newVagrantProvider) *cobra.Command {
	c := &cobra.Command{
		Use:   "up",
		Short: "Start N VMs with vagrant up and write their inventory",
		Long: "Runs `vagrant up` in --dir (where the Vagrantfile is) with OVERLAB_NODES=N and shows its progress, then\n" +
			"`vagrant ssh-config`, and writes an inventory: SSH as ssh-config says with the per-VM key, lab addresses\n" +
			"192.168.56.(10+i) from the Vagrantfile's plan, node1 manager and the rest workers.\n" +
			"With --provider libvirt it first prepares this machine: the libvirt daemons when none runs, a storage\n" +
			"pool, isolated networks and a firewall chain that keeps the VMs from reaching anything else; the box\n" +
			"is overlab/debian12 (make vagrant-box). Vagrant turns host-key checking off; overlab instead records\n" +
			"each VM's host key on first contact in the lab's own known_hosts file (DIR/.overlab/known_hosts).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := newProvider(g, f)
			if err != nil {
				return couldNotRun(err)
			}
			start := time.Now()
			out, err := p.Up(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			g.Logger().V(0).Infof("ready in %s; next: overlab hosts -i %s", time.Since(start).Round(time.Second), out)
			return nil
		},
	}
	c.Flags().IntVar(&f.nodes, "nodes", 3, "number of VMs (1-20)")
	c.Flags().StringVar(&f.provider, "provider", "", "Vagrant provider: "+strings.Join(vagrant.Providers, ", ")+" (default: Vagrant's)")
	c.Flags().StringVar(&f.box, "box", "", "box (default: the Vagrantfile's; overlab/debian12 with libvirt)")
	c.Flags().StringVarP(&f.output, "output", "o", "", "inventory to write (default DIR/overlab.yaml)")
	c.Flags().DurationVar(&f.upTimeout, "up-timeout", 45*time.Minute, "time allowed for vagrant up (box download, boot, provisioning)")
	c.Flags().BoolVar(&f.keepOnError, "keep-on-error", false, "leave VMs that failed to come up in place, for debugging")
	c.Flags().StringVar(&f.driver, "libvirt-driver", os.Getenv("OVERLAB_LIBVIRT_DRIVER"), "kvm or qemu (software emulation); default: kvm when the CPU offers it")
	return c
}

func newVagrantDownCommand(g *Globals, f *vagrantFlags, newProvider newVagrantProvider) *cobra.Command {
	c := providerDownCommand("Tear the lab down, destroy the VMs and everything made for them, forget their host keys",
		func() (provider.Hosts, error) { return newProvider(g, f) })
	c.Flags().IntVar(&f.downNodes, "nodes", 0, "number of VMs (default: what overlab vagrant up recorded, else 3)")
	return c
}

func newVagrantStatusCommand(g *Globals, f *vagrantFlags, newProvider newVagrantProvider) *cobra.Command {
	return providerStatusCommand("One line per VM: name, lab address, state",
		func() (provider.Hosts, error) { return newProvider(g, f) },
		func() string { return "the vagrant cluster" })
}

// newVagrantHosts is the real provider, wired to SSH for host keys and to
// `overlab down` for the teardown before destroy.
func newVagrantHosts(g *Globals, f *vagrantFlags) (provider.Hosts, error) {
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, err
	}
	out := f.output
	if out != "" {
		if out, err = filepath.Abs(out); err != nil {
			return nil, err
		}
	}
	p := vagrant.New(
		vagrant.WithLogger(g.Logger()),
		vagrant.WithProgress(g.streams.ErrOut),
		vagrant.WithUpTimeout(f.upTimeout),
		vagrant.WithKeepOnError(f.keepOnError),
		vagrant.WithLibvirtDriver(f.driver),
		vagrant.WithHostKeys(func(ctx context.Context, inv *inventory.Inventory) error {
			return recordVagrantHostKeys(ctx, g, inv)
		}),
		vagrant.WithTeardown(func(ctx context.Context, inv string) error {
			return downLabBeforeDestroy(ctx, g, inv)
		}),
	)
	c := vagrant.Cluster{Dir: dir, Nodes: f.nodes, Provider: f.provider, Box: f.box, Output: out}
	return provider.Vagrant(p, c, f.downNodes), nil
}
