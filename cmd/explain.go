package cmd

import (
	"bytes"
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/report/graph"
	"github.com/overlab/overlab/safefile"
	"github.com/overlab/overlab/session"
)

// pictureFormats are what a command that prints data and draws offers:
// the data formats first, then the pictures.
var pictureFormats = append([]string{output.Table, output.JSON, output.YAML}, graph.Formats...)

func newExplainCommand(g *Globals) *cobra.Command {
	var (
		host, format, html, out string
	)
	c := &cobra.Command{
		Use:   "explain NETWORK",
		Short: "The Linux objects behind a network on each host: bridge, veth pairs, overlay netns, VXLAN and FDB, macvlan, iptables (read-only)",
		Long: "The Linux objects behind a network on each host, each with the command that shows it by hand.\n" +
			"--format svg|dot|mermaid draws them: per host the container's eth0, its veth, the bridge (or the overlay's\n" +
			"namespace with br0 and the vxlan device and its VNI, or the macvlan parent) and the lab interface; between\n" +
			"hosts the VXLAN tunnels the FDB entries point at.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := output.CheckFormat(format, pictureFormats...); err != nil {
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
			err = writeTo(cmd.OutOrStdout(), out, func(w io.Writer) error {
				if graph.IsFormat(format) {
					return graph.Write(w, report.ExplainGraph(v, nil), format)
				}
				return output.Print(w, format, v, func(w io.Writer) error { return report.ExplainText(w, v) })
			})
			if err != nil {
				return couldNotRun(err)
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
	output.AddFormatFlag(c.Flags(), &format, pictureFormats...)
	addOutputFlag(c, &out)
	c.Flags().StringVar(&html, "html", "", "also write the explanation as an HTML page to this file")
	return c
}

func gatherExplain(ctx context.Context, c *cluster.Cluster, name string, peers map[string]string) explain.View {
	hosts := make([]explain.Host, len(c.Nodes))
	for i, n := range c.Nodes {
		hosts[i] = explain.Host{Host: n, API: n.Docker()}
	}
	return explain.GatherAll(ctx, hosts, name, peers)
}

// addOutputFlag is -o/--output FILE, for every command that draws.
func addOutputFlag(c *cobra.Command, p *string) {
	c.Flags().StringVarP(p, "output", "o", "", "write to `FILE` instead of standard output")
}

// writeTo runs write on stdout, or on the file path when one is given
// (written whole: nothing half-made is left when write fails).
func writeTo(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return safefile.WriteFile(path, buf.Bytes(), 0o644)
}

func writeExplainHTML(path string, v explain.View) error {
	var buf bytes.Buffer
	if err := report.ExplainHTML(&buf, v, nil); err != nil {
		return err
	}
	return safefile.WriteFile(path, buf.Bytes(), 0o644)
}
