package cmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runs"
)

// TestReportMatrixFlag: a stored run of 13 hosts is summarised unless
// --matrix; a 3-host run is drawn unless $COLUMNS is narrower than its
// matrices (the output is no terminal here).
func TestReportMatrixFlag(t *testing.T) {
	dir := t.TempDir()
	d := &results.Document{SchemaVersion: results.SchemaVersion, Lab: "wide", Networks: []results.Network{{Name: "net", Driver: "overlay"}}}
	for i := 1; i <= 13; i++ {
		d.Hosts = append(d.Hosts, results.Host{Name: fmt.Sprintf("node%02d", i)})
	}
	for _, a := range d.Hosts {
		for _, b := range d.Hosts {
			if a != b {
				d.Probes = append(d.Probes, results.Probe{Network: "net", From: a.Name, To: b.Name, Kind: "icmp", Expect: "reachable", Reachable: true, OK: true, RTTMS: 0.2})
			}
		}
	}
	d.Summarize()
	wide, err := runs.Store(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("COLUMNS", "")
	out, _, code := historyExec(t, "report", wide.ID, "--results", dir)
	if code != 0 || strings.Contains(out, `from \ to`) || !strings.Contains(out, "net  overlay  156/156 pairs as expected (156/156 probes)\n") ||
		!strings.Contains(out, "13 hosts (more than 12); --matrix prints them in full") {
		t.Errorf("13 hosts without --matrix: exit %d\n%s", code, out)
	}
	out, _, code = historyExec(t, "report", wide.ID, "--results", dir, "--matrix")
	if code != 0 || !strings.Contains(out, `from \ to`) || !strings.Contains(out, "\n  node13     ✓ 0.20ms") || strings.Contains(out, "summaries instead") {
		t.Errorf("13 hosts with --matrix: exit %d\n%s", code, out)
	}

	cut := storeFixture(t, dir, "cut")
	t.Setenv("COLUMNS", "60")
	out, _, _ = historyExec(t, "report", cut.ID, "--results", dir)
	if strings.Count(out, `from \ to`) != 1 || !strings.Contains(out, "overlab-macvlan's matrix is 84 columns wide, the output 60") {
		t.Errorf("COLUMNS=60: want the overlay drawn and the macvlan summarised:\n%s", out)
	}
	out, _, _ = historyExec(t, "report", cut.ID, "--results", dir, "--matrix")
	if strings.Count(out, `from \ to`) != 2 {
		t.Errorf("COLUMNS=60 --matrix: want both matrices:\n%s", out)
	}
}

// --matrix is on every command that prints the terminal report.
func TestMatrixFlagEverywhere(t *testing.T) {
	root := NewRoot(Streams{In: strings.NewReader("")})
	for _, path := range [][]string{{"check"}, {"report"}, {"lab", "run"}} {
		c, _, err := root.Find(path)
		if err != nil || c.Flags().Lookup("matrix") == nil {
			t.Errorf("overlab %s has no --matrix", strings.Join(path, " "))
		}
	}
}
