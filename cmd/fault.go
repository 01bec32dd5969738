package cmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/session"
)

func newFaultCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "fault",
		Short: "Break a lab host's network on purpose (cut, block, mtu, delay, loss), list and heal",
		Long: "Faults are made over SSH with ip, iptables or tc and recorded on the host (" + fault.RecordPath + "),\n" +
			"so that `overlab fault heal` and `overlab down` undo every one of them.",
	}
	var spare, force bool
	cut := faultCommand(g, "cut NODE", "Cut the host's lab link", 1, func(args []string, _ []inventory.Host) (fault.Spec, error) {
		return fault.Spec{Kind: fault.Cut, SpareSSH: spare, Force: force}, nil
	})
	cut.Flags().BoolVar(&spare, "spare-ssh", false, "drop every lab packet but overlab's SSH (iptables) instead of taking the link down")
	cut.Flags().BoolVar(&force, "force", false, "take the link down even though overlab's SSH goes over it")
	var from string
	block := faultCommand(g, "block NODE PORT/PROTO", "Drop what comes in to PORT/PROTO (4789/udp, 7946/tcp+udp) on the host's lab link", 2, func(args []string, hosts []inventory.Host) (fault.Spec, error) {
		port, protos, err := fault.ParsePort(args[1])
		s := fault.Spec{Kind: fault.Block, Port: port, Protos: protos}
		if err != nil || from == "" {
			return s, err
		}
		i := slices.IndexFunc(hosts, func(h inventory.Host) bool { return h.Name == from })
		if i < 0 {
			return s, fmt.Errorf("--from %s: no such host in the inventory", from)
		}
		s.From, s.FromName = hosts[i].Address, from
		return s, nil
	})
	block.Flags().StringVar(&from, "from", "", "block only what comes from this inventory host")
	c.AddCommand(cut, block,
		faultCommand(g, "mtu NODE BYTES", "Set the MTU of the host's lab interface", 2, func(args []string, _ []inventory.Host) (fault.Spec, error) {
			n, err := strconv.Atoi(args[1])
			return fault.Spec{Kind: fault.MTU, MTU: n}, err
		}),
		faultCommand(g, "delay NODE MS", "Delay every packet leaving the host's lab interface (tc netem)", 2, func(args []string, _ []inventory.Host) (fault.Spec, error) {
			n, err := strconv.Atoi(args[1])
			return fault.Spec{Kind: fault.Delay, DelayMS: n}, err
		}),
		faultCommand(g, "loss NODE PCT", "Drop a share of the packets leaving the host's lab interface (tc netem)", 2, func(args []string, _ []inventory.Host) (fault.Spec, error) {
			n, err := strconv.ParseFloat(args[1], 64)
			return fault.Spec{Kind: fault.Loss, LossPct: n}, err
		}),
		newFaultListCommand(g),
		newFaultHealCommand(g),
	)
	return c
}

func faultCommand(g *Globals, use, short string, nargs int, spec func([]string, []inventory.Host) (fault.Spec, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			inv, err := g.loadInventory()
			if err != nil {
				return err
			}
			fs, err := spec(args, inv.Hosts)
			if err == nil {
				err = fs.Validate()
			}
			if err != nil {
				return couldNotRun(fmt.Errorf("%s: %w", cmd.Name(), err))
			}
			s, err := g.open(ctx, session.Only(args[0]))
			if err != nil {
				return err
			}
			defer s.Close()
			n := s.Cluster.Nodes[0]
			f, err := fault.Inject(ctx, n, n.Host.Address, fs)
			if err != nil {
				return couldNotRun(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: fault %s: %s (undo: overlab fault heal %s)\n", f.Host, f.ID, f.What, f.Host)
			return nil
		},
	}
}

// eachFault runs fn on every connected host (or only NODE) and gathers faults.
func (g *Globals) eachFault(ctx context.Context, args []string, fn func(context.Context, *cluster.Node) ([]fault.Fault, error)) ([]fault.Fault, error) {
	s, err := g.open(ctx, session.Only(args...))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	c := s.Cluster
	var (
		mu  sync.Mutex
		all []fault.Fault
	)
	err = c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		fs, err := fn(ctx, n)
		mu.Lock()
		all = append(all, fs...)
		mu.Unlock()
		return err
	})
	slices.SortFunc(all, func(a, b fault.Fault) int {
		if a.Host != b.Host {
			return cmpString(a.Host, b.Host)
		}
		return cmpString(a.ID, b.ID)
	})
	return all, err
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newFaultListCommand(g *Globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "list",
		Short: "The faults recorded on every host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := output.CheckFormat(format); err != nil {
				return couldNotRun(err)
			}
			ctx := cmd.Context()
			all, err := g.eachFault(ctx, nil, func(ctx context.Context, n *cluster.Node) ([]fault.Fault, error) { return fault.List(ctx, n) })
			if all == nil {
				all = []fault.Fault{}
			}
			perr := output.Print(cmd.OutOrStdout(), format, all, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "HOST\tID\tKIND\tWHAT\n")
				for _, f := range all {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Host, f.ID, f.Kind, f.What)
				}
				if len(all) == 0 {
					fmt.Fprintf(tw, "(no faults)\t\t\t\n")
				}
				return tw.Flush()
			})
			if err != nil {
				return couldNotRun(err)
			}
			return perr
		},
	}
	output.AddFormatFlag(c.Flags(), &format)
	return c
}

func newFaultHealCommand(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "heal [NODE]",
		Short: "Undo every recorded fault (of NODE only, when given); a lab's routes stay, for its down",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			healed, err := g.eachFault(ctx, args, func(ctx context.Context, n *cluster.Node) ([]fault.Fault, error) {
				return fault.HealWhere(ctx, n, fault.IsFault)
			})
			for _, f := range healed {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: healed fault %s: %s\n", f.Host, f.ID, f.What)
			}
			if len(healed) == 0 && err == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "no faults to heal")
			}
			if err != nil {
				return couldNotRun(err)
			}
			return nil
		},
	}
}
