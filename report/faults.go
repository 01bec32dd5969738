package report

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/results"
)

// A fault lab's run in every rendering: the faults made for the check and
// healed after it, the diagnoses the lab expects and whether the check made
// them, and the diagnoses it made that the lab does not expect.

// faultCase is one line of a fault run: what, whether it went as the lab
// says, and why not.
type faultCase struct {
	Kind   string // fault, diagnosis, unexpected
	Name   string
	OK     bool
	Detail string
}

// faultCases lists a fault run as cases, in the lab's order.
func faultCases(fr *results.FaultRun) []faultCase {
	if fr == nil {
		return nil
	}
	var out []faultCase
	for _, f := range fr.Faults {
		c := faultCase{Kind: "fault", Name: f.Host + ": " + faultWhat(f), OK: f.Error == "" && f.Healed}
		switch {
		case f.Error != "":
			c.Detail = "not made: " + f.Error
		case !f.Healed:
			c.Detail = "not healed: " + orString(f.HealError, "the heal did not run") + " (overlab fault heal " + f.Host + ")"
		default:
			c.Detail = "made for the check, healed after it"
		}
		out = append(out, c)
	}
	for _, d := range fr.Diagnoses {
		c := faultCase{Kind: "diagnosis", Name: diagnosisName(d.Pattern, d.Hosts), OK: d.Found, Detail: d.Got}
		if d.Says != "" {
			c.Name += fmt.Sprintf(" saying %q", d.Says)
		}
		out = append(out, c)
	}
	for _, u := range fr.Unexpected {
		out = append(out, faultCase{Kind: "unexpected", Name: "unexpected diagnosis", Detail: u})
	}
	return out
}

func faultWhat(f results.Fault) string {
	if f.What != "" {
		return f.What
	}
	return f.Kind
}

func diagnosisName(pattern string, hosts []string) string {
	return fmt.Sprintf("%s [%s]", pattern, strings.Join(hosts, ", "))
}

func orString(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// faultsFailed counts the cases of a fault run that did not go as the lab
// says.
func faultsFailed(fr *results.FaultRun) int {
	n := 0
	for _, c := range faultCases(fr) {
		if !c.OK {
			n++
		}
	}
	return n
}

// faults prints a fault run after the matrices.
func (t *termWriter) faults(fr *results.FaultRun) {
	if fr == nil {
		return
	}
	t.printf("%s\n", t.paint(ansiBold, "Faults (made for the check, healed after it) and the diagnoses the lab expects"))
	for _, c := range faultCases(fr) {
		mark := t.paint(ansiGreen+ansiBold, "✓")
		if !c.OK {
			mark = t.paint(ansiRed+ansiBold, "✗")
		}
		label := map[string]string{"fault": "fault", "diagnosis": "expected diagnosis", "unexpected": "diagnosis not expected"}[c.Kind]
		t.printf("  %s %s %s\n", mark, label, c.Name)
		if c.Detail != "" && (!c.OK || c.Kind == "diagnosis") {
			t.printf("      %s\n", c.Detail)
		}
	}
	for _, f := range fr.Faults {
		if f.Note != "" {
			t.printf("  • %s: %s\n", f.Host, f.Note)
		}
	}
	t.printf("\n")
}

// faultSuite is the JUnit suite of a fault run: a case per fault and per
// expected diagnosis, and one failing case per diagnosis not expected.
func faultSuite(d *results.Document, id int) (junitSuite, bool) {
	cases := faultCases(d.Faults)
	if len(cases) == 0 {
		return junitSuite{}, false
	}
	s := junitSuite{Name: "faults", Timestamp: d.StartedAt.UTC().Format("2006-01-02T15:04:05"), Hostname: d.Lab, ID: id, Package: "overlab." + d.Lab, Time: seconds(0)}
	for _, c := range cases {
		jc := junitCase{Name: c.Kind + " " + c.Name, Classname: "faults." + c.Kind, Time: seconds(0)}
		if c.OK {
			jc.SystemOut = c.Detail
		} else {
			jc.Failure = &junitFailure{Message: c.Detail, Type: c.Kind + " not as the lab says", Text: c.Name + "\n" + c.Detail + "\n"}
			s.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, jc)
	}
	return s, true
}
