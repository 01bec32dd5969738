package cmd

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/session"
)

type hostsOptions struct {
	format string
}

func newHostsCommand(g *Globals) *cobra.Command {
	o := hostsOptions{}
	c := &cobra.Command{
		Use:   "hosts",
		Short: "Connect to every host and show its facts: engine, swarm, addresses, kernel features",
		Long: "Connect to every inventory host over SSH, talk to its Docker Engine through that connection and print what\n" +
			"each host is. Hosts that cannot be reached are reported while the others are still listed.\n" +
			"Exit code 0 when every host answered, 1 otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHosts(cmd, g, o)
		},
	}
	output.AddFormatFlag(c.Flags(), &o.format, "table", "json", "yaml")
	return c
}

func runHosts(cmd *cobra.Command, g *Globals, o hostsOptions) error {
	if err := output.CheckFormat(o.format, "table", "json", "yaml"); err != nil {
		return couldNotRun(err)
	}
	ctx := cmdContext(cmd)
	// Unreachable hosts are in c.Down and reported in the output.
	s, err := g.open(ctx, session.ReportsDown())
	if err != nil {
		return err
	}
	defer s.Close()
	c, hosts := s.Cluster, s.Hosts

	start := time.Now()
	errs := map[string]error{}
	facts, _ := c.Facts(ctx, func(host string, _ *cluster.Facts, err error) {
		if err != nil {
			errs[host] = err
		}
	})
	g.Logger().V(1).Infof("facts of %d hosts in %s", len(c.Nodes), time.Since(start).Round(time.Millisecond))

	reports := report.HostRows(hosts, c.Down, facts, errs)
	out := cmd.OutOrStdout()
	err = report.Hosts(out, o.format, reports)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range reports {
		if r.Error != "" {
			failed++
		}
	}
	if failed > 0 {
		return couldNotRunf("%d of %d hosts did not answer fully", failed, len(reports))
	}
	return nil
}
