package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/output"
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
	output.AddFormatFlag(c.Flags(), &o.format)
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
	if err := output.CheckFormat(o.format); err != nil {
		return couldNotRun(err)
	}
	var rows []labSummary
	for _, l := range lab.List() {
		rows = append(rows, labSummary{Name: l.Name, Summary: labFirstSentence(l.Description), Networks: len(l.Networks),
			Workloads: len(l.Workloads), Expectations: len(l.Expect), Swarm: l.NeedsSwarm()})
	}
	return output.Print(cmd.OutOrStdout(), o.format, rows, func(out io.Writer) error {
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
		_, err := fmt.Fprintf(out, "\nShow one with `overlab lab show NAME`, its docker commands with `--commands`; the default lab of `overlab up` is %q.\n", lab.DefaultLab)
		return err
	})
}

// labFirstSentence is the description's first sentence on one line.
func labFirstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
