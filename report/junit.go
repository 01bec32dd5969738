package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/overlab/overlab/results"
)

// The JUnit shape follows what CI systems read (Ant's JUnitResultFormatter,
// Jenkins' junit-10.xsd): testsuites > testsuite (one per network) >
// testcase (one per probe) > failure carrying the cause. The attributes
// Ant's schema requires (timestamp, hostname, id, package, properties,
// system-out, system-err) are always written, so strict readers accept it.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr"`
	Properties junitProperties `xml:"properties"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// JUnit writes one testsuite per network and one testcase per probe, and
// for a fault lab a suite "faults" with a case per fault and per expected
// diagnosis; its counts equal the document's probe counts plus those.
func JUnit(w io.Writer, d *results.Document) error {
	lab := d.Lab
	if lab == "" {
		lab = "lab"
	}
	s := summarize(d.Probes)
	root := junitSuites{
		Name:     "overlab check " + lab,
		Tests:    s.Total,
		Failures: s.Failed,
		Time:     seconds(float64(d.DurationMS)),
	}
	for i, m := range matrices(d) {
		root.Suites = append(root.Suites, networkSuite(d, lab, i, m))
	}
	if fs, ok := faultSuite(d, len(root.Suites)); ok {
		root.Suites = append(root.Suites, fs)
		root.Tests += fs.Tests
		root.Failures += fs.Failures
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// networkSuite is the i-th suite: one network's probes, a case each.
func networkSuite(d *results.Document, lab string, i int, m *matrix) junitSuite {
	ms := m.Summary()
	suite := junitSuite{
		Name:      m.Network.Name,
		Tests:     ms.Total,
		Failures:  ms.Failed,
		Timestamp: d.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		Hostname:  lab,
		ID:        i,
		Package:   "overlab." + lab,
	}
	props := [][2]string{{"lab", d.Lab}, {"driver", m.Network.Driver}, {"scope", m.Network.Scope}, {"subnet", m.Network.Subnet}}
	// Which engine generation each host ran: a CI reader compares
	// runs of the same lab across generations by these.
	for _, h := range d.Hosts {
		props = append(props, [2]string{"engine." + h.Name, h.EngineVersion})
	}
	for _, kv := range props {
		if kv[1] != "" {
			suite.Properties.Property = append(suite.Properties.Property, junitProperty{Name: kv[0], Value: kv[1]})
		}
	}
	var total float64
	for _, p := range m.Probes {
		suite.Cases = append(suite.Cases, probeCase(m.Network.Name, p))
		total += p.RTTMS
	}
	suite.Time = seconds(total)
	suite.SystemOut = diagnosesText(d.Diagnoses, m.Network.Name)
	return suite
}

// probeCase is one probe as a test case: a failure when it broke its
// expectation, its note as output otherwise.
func probeCase(network string, p results.Probe) junitCase {
	c := junitCase{
		Name:      caseName(p),
		Classname: network + "." + p.From,
		Time:      seconds(p.RTTMS),
	}
	if !p.OK {
		observed := "unreachable"
		if p.Reachable {
			observed = "reachable"
		}
		c.Failure = &junitFailure{
			Message: probeError(p),
			Type:    "expected " + p.Expect + ", " + observed,
			Text:    probeDetails(p),
		}
	} else if p.Note != "" {
		c.SystemOut = p.Note
	}
	return c
}

// caseName is unique within a network: pair, kind and target.
func caseName(p results.Probe) string {
	name := p.From + " -> " + p.To + " " + p.Kind
	if p.Target != "" && p.Target != p.To {
		name += " " + p.Target
	}
	return name
}

// seconds formats milliseconds as the seconds CI systems expect.
func seconds(ms float64) string {
	return strconv.FormatFloat(ms/1000, 'f', 6, 64)
}

// probeDetails is the full record of one probe, for failure bodies and
// evidence files.
func probeDetails(p results.Probe) string {
	var b strings.Builder
	fmt.Fprintf(&b, "network:   %s\n", p.Network)
	fmt.Fprintf(&b, "from:      %s\n", p.From)
	fmt.Fprintf(&b, "to:        %s\n", p.To)
	fmt.Fprintf(&b, "target:    %s\n", p.Target)
	fmt.Fprintf(&b, "kind:      %s\n", p.Kind)
	fmt.Fprintf(&b, "expect:    %s\n", p.Expect)
	fmt.Fprintf(&b, "reachable: %t\n", p.Reachable)
	fmt.Fprintf(&b, "ok:        %t\n", p.OK)
	fmt.Fprintf(&b, "tries:     %d\n", p.Tries)
	if p.RTTMS > 0 {
		fmt.Fprintf(&b, "rtt_ms:    %g\n", p.RTTMS)
	}
	if e := probeError(p); e != "" {
		fmt.Fprintf(&b, "error:     %s\n", e)
	}
	if p.Note != "" {
		fmt.Fprintf(&b, "note:      %s\n", p.Note)
	}
	if p.Evidence != "" {
		fmt.Fprintf(&b, "evidence:\n%s", p.Evidence)
		if !strings.HasSuffix(p.Evidence, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// ProbeDetails is the full plain-text record of one probe: the evidence file
// of a failed probe in the run history.
func ProbeDetails(p results.Probe) string { return probeDetails(p) }

// diagnosesText is the diagnoses that concern network, one per paragraph.
func diagnosesText(ds []results.Diagnosis, network string) string {
	var b strings.Builder
	for _, d := range ds {
		if !slices.Contains(d.Networks, network) {
			continue
		}
		fmt.Fprintf(&b, "diagnosis %s: %s\nevidence: %s\nfix: %s\n", d.Pattern, d.Cause, d.Evidence, d.Fix)
		for _, f := range d.DoctorFindings {
			fmt.Fprintf(&b, "doctor: %s\n", f)
		}
	}
	return b.String()
}
