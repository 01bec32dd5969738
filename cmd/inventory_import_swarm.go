package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/inventory/importer"
	"github.com/overlab/overlab/safefile"
)

type importSwarmOptions struct {
	from   string
	output string
}

func newInventoryImportSwarmCommand(g *Globals) *cobra.Command {
	o := importSwarmOptions{}
	c := &cobra.Command{
		Use:   "swarm --from HOST",
		Short: "Ask a swarm manager (over SSH) for its nodes and write an inventory of them",
		Long: "HOST is a host of the inventory (-i, else overlab.yaml, else the local lab's), by name or address,\n" +
			"or [ssh://][user@]host[:port], reached with the inventory's defaults. Its engine, a manager, lists\n" +
			"the swarm's nodes (docker node ls, read only); each becomes a host: name its hostname, address its\n" +
			"swarm address, role manager or worker, labels its node labels. Every host is reached with HOST's SSH\n" +
			"settings (user, port, key, known_hosts, jump hosts). A node the swarm gives no address (0.0.0.0) is\n" +
			"left out, and said so; so is a stale down entry of a host that rejoined. The result is validated\n" +
			"like every inventory before anything is written. Prints the inventory, or writes it with -o.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runImportSwarm(cmd, g, o)
		},
	}
	c.Flags().StringVar(&o.from, "from", "", "`HOST`: the manager to ask, an inventory host's name or address, or [ssh://][user@]host[:port]")
	c.Flags().StringVarP(&o.output, "output", "o", "", "write the inventory to `FILE` instead of standard output")
	_ = c.MarkFlagRequired("from")
	return c
}

func runImportSwarm(cmd *cobra.Command, g *Globals, o importSwarmOptions) error {
	src, err := sourceInventory(g)
	if err != nil {
		return couldNotRun(err)
	}
	env, err := inventory.EnvDefaults()
	if err != nil {
		return couldNotRun(err)
	}
	from, err := importer.ResolveFrom(src, env, o.from)
	if err != nil {
		return couldNotRun(err)
	}
	hosts, err := from.Dial.Resolve()
	if err != nil {
		return couldNotRunf("--from %s: %w", o.from, err)
	}
	sw, err := readSwarm(cmd.Context(), g, hosts[0], o.from)
	if err != nil && from.NotIn != "" {
		err = fmt.Errorf("%w (%s is not a host of %s: it was reached as an SSH host)", err, o.from, from.NotIn)
	}
	if err != nil {
		return couldNotRun(err)
	}
	inv, notes, err := importer.FromSwarm(sw, importer.SwarmOptions{
		Defaults: from.Defaults, ProxyJump: from.ProxyJump, SelfDial: hosts[0].DialHost(), SelfPort: hosts[0].Port,
	})
	if err != nil {
		return couldNotRun(err)
	}
	inv.Source = o.output
	if inv.Source == "" {
		inv.Source = "imported inventory"
	}
	// Strict, as every inventory: a file that `check` would refuse is not written.
	if err := inv.Validate(); err != nil {
		return couldNotRunf("the inventory of the swarm that %s manages does not validate, nothing written: %w", o.from, err)
	}
	for _, n := range notes {
		g.Logger().Warnf("%s", n)
	}
	data, err := inventory.MarshalYAML(inv, importer.SwarmHeader(o.from, notes))
	if err != nil {
		return err
	}
	if o.output == "" {
		_, err = cmd.OutOrStdout().Write(data)
		return err
	}
	if err := safefile.WriteFile(o.output, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote inventory of %d hosts (swarm of %s) to %s\n", len(inv.Hosts), o.from, o.output)
	return nil
}

// sourceInventory is the inventory --from may name a host of: -i's (which
// must load), else the default one when it exists; nil when there is none.
func sourceInventory(g *Globals) (*inventory.Inventory, error) {
	path := inventory.PathOr(g.Inventory)
	inv, err := inventory.Load(path)
	switch {
	case err == nil:
		return inv, nil
	case g.Inventory == "" && errors.Is(err, fs.ErrNotExist):
		return nil, nil
	}
	return nil, fmt.Errorf("loading inventory: %w", err)
}

// readSwarm connects to the manager over SSH (host key verified) and reads
// its swarm through its engine, within --connect-timeout and --timeout.
func readSwarm(ctx context.Context, g *Globals, h inventory.Host, from string) (importer.Swarm, error) {
	n, err := cluster.Dial(ctx, h,
		cluster.WithLogger(g.Logger()),
		cluster.WithConnectTimeout(g.ConnectTimeout),
		cluster.WithOpTimeout(g.OpTimeout),
		cluster.WithTrustNewHosts(g.TrustNewHosts),
	)
	if err != nil {
		return importer.Swarm{}, fmt.Errorf("--from %s: %w", from, err)
	}
	defer n.Close()
	ctx, cancel := context.WithTimeout(ctx, g.OpTimeout)
	defer cancel()
	return importer.ReadSwarm(ctx, n.Docker(), from)
}
