package report

import (
	"fmt"

	"github.com/overlab/overlab/results"
)

// notRun says why a document holds no probe: the lab did not run on these
// hosts. Every probe "as expected" would read as a pass.
func notRun(d *results.Document) string {
	if d.NotRun != "" {
		return d.NotRun
	}
	return "none of the lab's expectations applies to these hosts (see the findings)"
}

// verdict is the terminal report's last line: every probe as expected,
// some not, or that the lab did not run here, and why.
func (t *termWriter) verdict(d *results.Document) {
	s := summarize(d.Probes)
	faults := ""
	if n := len(faultCases(d.Faults)); n > 0 {
		faults = fmt.Sprintf("; faults and diagnoses: %d of %d as the lab says", n-faultsFailed(d.Faults), n)
	}
	switch {
	case s.Total == 0:
		t.printf("%s\n", t.paint(ansiYellow+ansiBold, "– lab not run on these hosts: "+notRun(d)))
	case s.Failed == 0 && faultsFailed(d.Faults) == 0:
		t.printf("%s\n", t.paint(ansiGreen+ansiBold, fmt.Sprintf("✓ all %d probes as expected%s", s.Total, faults)))
	default:
		t.printf("%s\n", t.paint(ansiRed+ansiBold, fmt.Sprintf("✗ %d of %d probes not as expected (%d passed)%s", s.Failed, s.Total, s.Passed, faults)))
	}
}
