package cmd

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/lab"
)

type labListOptions struct {
	format string
}

func newLabListCommand(g *Globals) *cobra.Command {
	o := labListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List the built-in labs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLabList(cmd, o)
		},
	}
	c.Flags().StringVar(&o.format, "format", "table", "output format: table or json")
	return c
}

type labSummary struct {
	Name         string `json:"name"`
	Summary      string `json:"summary"`
	Networks     int    `json:"networks"`
	Workloads    int    `json:"workloads"`
	Expectations int    `json:"expectations"`
	Swarm        bool   `json:"swarm"`
}

func runLabList(cmd *cobra.Command, o labListOptions) error {
	var rows []labSummary
	for _, l := range lab.List() {
		rows = append(rows, labSummary{Name: l.Name, Summary: labFirstSentence(l.Description), Networks: len(l.Networks),
			Workloads: len(l.Workloads), Expectations: len(l.Expect), Swarm: l.NeedsSwarm()})
	}
	out := cmd.OutOrStdout()
	switch o.format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "table":
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSWARM\tEXPECT\tWHAT IT TEACHES")
		for _, r := range rows {
			swarm := "no"
			if r.Swarm {
				swarm = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Name, swarm, r.Expectations, r.Summary)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(out, "\nShow one with `overlab lab show NAME`, its docker commands with `--commands`; the default lab of `overlab up` is %q.\n", lab.DefaultLab)
		return nil
	}
	return couldNotRunf("--format %q: use table or json", o.format)
}

// labFirstSentence is the description's first sentence on one line.
func labFirstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
