package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/runs"
)

type diffOptions struct {
	results string
	format  string
}

func newDiffCommand(g *Globals) *cobra.Command {
	o := diffOptions{}
	c := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "List the probes whose outcome changed between two runs; exit 1 when something regressed",
		Long: `Compare two stored runs, each named by its ID (or a unique prefix), its
directory or its results.json. Probes are matched by network, from, to,
target and kind. Regressed: ok in A and failing or missing in B. Fixed:
failing in A, ok in B. Added: only in B. Removed: failing in A, gone in B.
Exits 1 when anything regressed, 0 otherwise.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, g, o, args[0], args[1])
		},
	}
	addResultsFlag(c, &o.results)
	output.AddFormatFlag(c.Flags(), &o.format)
	return c
}

func runDiff(cmd *cobra.Command, g *Globals, o diffOptions, idA, idB string) error {
	if err := output.CheckFormat(o.format); err != nil {
		return couldNotRun(err)
	}
	dir := runs.ResolveDir(o.results)
	a, err := runs.Open(dir, idA)
	if err != nil {
		return couldNotRun(err)
	}
	b, err := runs.Open(dir, idB)
	if err != nil {
		return couldNotRun(err)
	}
	d := runs.Diff(a.Document, b.Document)
	err = output.Print(cmd.OutOrStdout(), o.format, d, func(w io.Writer) error {
		return diffTable(w, a, b, d)
	})
	if err != nil {
		return err
	}
	if d.HasRegressions() {
		return notAsExpected(fmt.Errorf("%d probe(s) regressed from %s to %s", len(d.Regressed), a.ID, b.ID))
	}
	return nil
}

func diffTable(w io.Writer, a, b runs.Run, d runs.DiffResult) error {
	ew := &errWriter{w: w}
	ew.printf("%s → %s\n", a.ID, b.ID)
	if d.Empty() {
		ew.printf("no probe changed its outcome\n")
		return ew.err
	}
	section := func(title, mark string, cs []runs.Change) {
		if len(cs) == 0 {
			return
		}
		ew.printf("\n%s (%d)\n", title, len(cs))
		for _, c := range cs {
			ew.printf("  %s %s: %s → %s\n", mark, c.Key, c.Before, c.After)
		}
	}
	section("Regressed", "✗", d.Regressed)
	section("Fixed", "✓", d.Fixed)
	section("Added", "+", d.Added)
	section("Removed", "-", d.Removed)
	return ew.err
}

// errWriter keeps the first write error so a table is written without an
// error check per line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
