package cmd

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/safefile"
	"github.com/overlab/overlab/session"
)

func newExplainCommand(g *Globals) *cobra.Command {
	var (
		host, format, html string
	)
	c := &cobra.Command{
		Use:   "explain NETWORK",
		Short: "The Linux objects behind a network on each host: bridge, veth pairs, overlay netns, VXLAN and FDB, macvlan, iptables (read-only)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := output.CheckFormat(format); err != nil {
				return couldNotRun(err)
			}
			ctx := cmd.Context()
			var names []string
			if host != "" {
				names = []string{host}
			}
			s, err := g.open(ctx, session.Only(names...))
			if err != nil {
				return err
			}
			defer s.Close()
			c := s.Cluster
			peers := map[string]string{}
			for _, h := range s.Hosts {
				peers[h.Address] = h.Name
			}
			v := gatherExplain(ctx, c, args[0], peers)
			if html != "" {
				if err := writeExplainHTML(html, v); err != nil {
					return couldNotRun(err)
				}
			}
			if err := output.Print(cmd.OutOrStdout(), format, v, func(w io.Writer) error { return report.ExplainText(w, v) }); err != nil {
				return err
			}
			for _, h := range v.Hosts {
				if h.Error != "" {
					return notAsExpected(nil)
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&host, "host", "", "only this inventory host")
	output.AddFormatFlag(c.Flags(), &format)
	c.Flags().StringVar(&html, "html", "", "also write the explanation as an HTML page to this file")
	return c
}

func gatherExplain(ctx context.Context, c *cluster.Cluster, name string, peers map[string]string) explain.View {
	var (
		mu sync.Mutex
		v  = explain.View{Network: name, Hosts: []explain.HostView{}}
	)
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name()
	}
	_ = fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		n := c.Nodes[i]
		nv, hv, err := explain.Gather(ctx, explain.Host{Host: n, API: n.Docker()}, name, peers)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			hv.Error = err.Error()
		} else if v.Driver == "" {
			hv0 := v.Hosts
			v = nv
			v.Hosts = hv0
		}
		v.Hosts = append(v.Hosts, hv)
		return nil
	})
	slices.SortFunc(v.Hosts, func(a, b explain.HostView) int { return cmpString(a.Host, b.Host) })
	return v
}

func writeExplainHTML(path string, v explain.View) error {
	var buf bytes.Buffer
	if err := report.ExplainHTML(&buf, v); err != nil {
		return err
	}
	return safefile.WriteFile(path, buf.Bytes(), 0o644)
}
