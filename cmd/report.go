package cmd

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runs"
	"github.com/overlab/overlab/safefile"
)

var reportFormats = []string{output.Table, output.JSON, output.YAML, "html", "junit"}

type reportOptions struct {
	results string
	format  string
	out     string
	matrix  bool
}

func newReportCommand(g *Globals) *cobra.Command {
	o := reportOptions{}
	c := &cobra.Command{
		Use:   "report [RUN]",
		Short: "Render a stored run (default the latest) as a terminal matrix, JSON, YAML, HTML or JUnit",
		Long: `Render a stored run again. RUN is a run ID (or a unique prefix of one), a run
directory or its results.json; without it, the latest run.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := ""
			if len(args) == 1 {
				run = args[0]
			}
			return runReport(cmd, g, o, run)
		},
	}
	addResultsFlag(c, &o.results)
	output.AddFormatFlag(c.Flags(), &o.format, reportFormats...)
	c.Flags().StringVarP(&o.out, "output", "o", "", "write to FILE instead of standard output")
	addMatrixFlag(c, &o.matrix)
	return c
}

// addMatrixFlag is --matrix of the commands that print the terminal report.
func addMatrixFlag(c *cobra.Command, on *bool) {
	c.Flags().BoolVar(on, "matrix", false, fmt.Sprintf("print every network's full matrix and every list; without it a network is summarised above %d hosts, or when its matrix is wider than the terminal (or $COLUMNS when not a terminal)", report.SummaryAbove))
}

// printTerminal renders doc for a person on w: colour and width as w
// allows, every matrix in full when full (--matrix).
func printTerminal(w io.Writer, doc *results.Document, full bool) error {
	return report.Terminal(w, doc, report.WithColor(report.ColorEnabled(w)), report.WithWidth(report.Width(w)), report.WithFullMatrix(full))
}

func runReport(cmd *cobra.Command, g *Globals, o reportOptions, id string) error {
	if err := output.CheckFormat(o.format, reportFormats...); err != nil {
		return couldNotRun(err)
	}
	r, err := runs.Open(runs.ResolveDir(o.results), id)
	if err != nil {
		return couldNotRun(err)
	}
	g.Logger().V(1).Infof("run %s (%s)", r.ID, r.Dir)

	w := cmd.OutOrStdout()
	var buf bytes.Buffer
	if o.out != "" {
		w = &buf
	}
	var render func(io.Writer, *results.Document) error
	switch o.format {
	case output.Table:
		render = func(w io.Writer, d *results.Document) error { return printTerminal(w, d, o.matrix) }
	case output.JSON:
		render = report.JSON
	case output.YAML:
		render = report.YAML
	case "html":
		render = report.HTML
	case "junit":
		render = report.JUnit
	}
	if err := render(w, r.Document); err != nil {
		return fmt.Errorf("report %s: %w", r.ID, err)
	}
	if o.out != "" {
		if err := safefile.WriteFile(o.out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		g.Logger().V(0).Infof("wrote %s of run %s to %s", o.format, r.ID, o.out)
	}
	return nil
}
