package cmd

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/runs"
)

// addResultsFlag registers --results, shared by check, runs, report, diff.
func addResultsFlag(c *cobra.Command, p *string) {
	c.Flags().StringVar(p, "results", "", "results directory (default $"+runs.EnvDir+", then ./"+runs.DefaultDir+")")
}

type runsOptions struct {
	results string
	format  string
}

func newRunsCommand(g *Globals) *cobra.Command {
	o := runsOptions{}
	c := &cobra.Command{
		Use:   "runs",
		Short: "List the stored check runs (time, lab, hosts, passed/failed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRuns(cmd, g, o)
		},
	}
	addResultsFlag(c, &o.results)
	output.AddFormatFlag(c.Flags(), &o.format)
	return c
}

func runRuns(cmd *cobra.Command, g *Globals, o runsOptions) error {
	if err := output.CheckFormat(o.format); err != nil {
		return couldNotRun(err)
	}
	dir := runs.ResolveDir(o.results)
	rs, err := runs.List(dir)
	if err != nil {
		// Unreadable runs are named; the readable ones are still listed.
		g.Logger().Warnf("%v", err)
	}
	if rs == nil {
		rs = []runs.Run{}
	}
	return output.Print(cmd.OutOrStdout(), o.format, rs, func(w io.Writer) error {
		if len(rs) == 0 {
			_, err := fmt.Fprintf(w, "no runs in %s\n", dir)
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tSTARTED\tLAB\tHOSTS\tPROBES\tPASSED\tFAILED\t")
		for _, r := range rs {
			mark := "✓"
			if r.Failed > 0 {
				mark = "✗"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s %d\t\n", r.ID, r.StartedAt.UTC().Format("2006-01-02 15:04:05"),
				r.Lab, r.Hosts, r.Total, r.Passed, mark, r.Failed)
		}
		return tw.Flush()
	})
}
