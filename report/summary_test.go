package report

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/results"
)

// TestTerminalSummaryGolden: above SummaryAbove hosts each network is a
// summary (pairs as expected, the failing hosts per diagnosis), the long
// lists are cut; --matrix (WithFullMatrix) draws everything. The 100-host
// full matrix is checked by shape, not kept as a golden file (200 KB).
func TestTerminalSummaryGolden(t *testing.T) {
	for _, tc := range []struct {
		hosts int
		full  bool
		file  string
	}{
		{30, false, "synth-30.terminal.golden"},
		{100, false, "synth-100.terminal.golden"},
		{30, true, "synth-30.terminal-matrix.golden"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := Terminal(&b, synthDoc(tc.hosts), WithFullMatrix(tc.full), WithWidth(100)); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, tc.file, b.Bytes())
		})
	}
}

func TestTerminalSummaryShape(t *testing.T) {
	d := synthDoc(100)
	var sum, full bytes.Buffer
	if err := Terminal(&sum, d); err != nil {
		t.Fatal(err)
	}
	if err := Terminal(&full, d, WithFullMatrix(true), WithWidth(80)); err != nil {
		t.Fatal(err)
	}
	s := sum.String()
	if strings.Contains(s, `from \ to`) {
		t.Error("a 100-host report draws a matrix without --matrix")
	}
	if n := strings.Count(s, "\n"); n > 80 {
		t.Errorf("the 100-host summary is %d lines; a person reads it on one or two screens", n)
	}
	for _, want := range []string{
		"overlab-overlay  overlay · swarm · 10.20.0.0/22  9409/9900 pairs as expected, 491 not (38125/39600 probes)\n",
		"  ✗ host-unreachable  node100  from it ✗ 99/99  to it ✗ 99/99\n",
		"  ✗ vxlan-blocked     node041  from it ✗ 99/99  to it ✗ 99/99\n",
		"  ✗ mtu               node098  from it ✗ 2/99   to it ✗ 99/99\n",
		"  ✗ host-isolated (ambiguous)  node007  from it ✗ 2/100    to it ✗ 2/100\n",
		"                               node010  from it ✗ 2/100    to it ✗ 2/100\n",
		"  ✓ 99 pairs unreachable, as the lab expects (see Notes)\n",
		"summaries instead of matrices: 100 hosts (more than 12); --matrix prints them in full\n",
		"  role     worker on 97 hosts, manager on node001, node002, node003\n",
		"  ✗ node100: ssh: dial tcp 192.168.64.109:22: i/o timeout\n",
		"between node041 and node[001:040], node[042:099] failed",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}

	f := full.String()
	if got := strings.Count(f, `from \ to`); got != 2 {
		t.Errorf("--matrix draws %d matrices, want 2", got)
	}
	for _, h := range []string{"node001", "node041", "node100"} {
		// A row per host in each matrix, and the host in the hosts table.
		if got := strings.Count(f, "\n  "+h+"  "); got != 3 {
			t.Errorf("--matrix: %d lines start with %s, want 3", got, h)
		}
	}
	if strings.Contains(f, "… and") || strings.Contains(f, "summaries instead") {
		t.Error("--matrix cuts a list or summarises")
	}
	if got, want := strings.Count(f, "\n  ✗ overlab-"), len(groupFailures(failures(d))); got != want {
		t.Errorf("--matrix lists %d failure lines, want every one (%d)", got, want)
	}
}

// TestTerminalWidth: below SummaryAbove hosts, a network whose matrix is
// wider than the output is summarised and the others drawn.
func TestTerminalWidth(t *testing.T) {
	d := loadFixture(t, "cut")
	for _, tc := range []struct {
		width    int
		matrices int
		reason   string
	}{
		{0, 2, ""},
		{200, 2, ""},
		{84, 2, ""},
		{83, 1, "overlab-macvlan's matrix is 84 columns wide, the output 83"},
		{40, 0, "columns wide, the output 40"},
	} {
		t.Run(fmt.Sprint(tc.width), func(t *testing.T) {
			var b bytes.Buffer
			if err := Terminal(&b, d, WithWidth(tc.width)); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if got := strings.Count(out, `from \ to`); got != tc.matrices {
				t.Errorf("%d matrices drawn, want %d:\n%s", got, tc.matrices, out)
			}
			if tc.reason == "" && strings.Contains(out, "summaries instead") {
				t.Errorf("summarised at width %d:\n%s", tc.width, out)
			}
			if tc.reason != "" && !strings.Contains(out, tc.reason) {
				t.Errorf("no reason %q:\n%s", tc.reason, out)
			}
			if tc.matrices < 2 && !strings.Contains(out, "overlab-macvlan  macvlan · swarm · 192.168.50.0/24  6/15 pairs as expected, 9 not (10/27 probes)\n") {
				t.Errorf("no macvlan summary:\n%s", out)
			}
			// Three hosts: the lists stay whole whatever the width.
			if !strings.Contains(out, "Failures (31 probes)") || strings.Contains(out, "… and") || !strings.Contains(out, "  NAME   ADDRESS") {
				t.Errorf("a small lab's lists are cut:\n%s", out)
			}
		})
	}
}

func TestTerminalSummaryColor(t *testing.T) {
	d := synthDoc(30)
	var plain, color bytes.Buffer
	if err := Terminal(&plain, d); err != nil {
		t.Fatal(err)
	}
	if err := Terminal(&color, d, WithColor(true)); err != nil {
		t.Fatal(err)
	}
	strip := strings.NewReplacer(ansiReset, "", ansiBold, "", ansiDim, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiCyan, "")
	if got := strip.Replace(color.String()); got != plain.String() {
		t.Errorf("colour changes the summary's text or alignment:\n%s", golden.FirstDiff(plain.String(), got))
	}
}

func TestWidth(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		columns string
		want    int
	}{{"", 0}, {"120", 120}, {"0", 0}, {"-3", 0}, {"wide", 0}} {
		t.Setenv("COLUMNS", tc.columns)
		if got := Width(f); got != tc.want {
			t.Errorf("COLUMNS=%q: Width = %d, want %d", tc.columns, got, tc.want)
		}
		if got := Width(&bytes.Buffer{}); got != tc.want {
			t.Errorf("COLUMNS=%q: Width(buffer) = %d, want %d", tc.columns, got, tc.want)
		}
	}
	// The controlling terminal, when the test has one, gives its own width.
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		t.Setenv("COLUMNS", "7")
		if got := Width(tty); got <= 0 || got == 7 {
			t.Errorf("Width(tty) = %d: want the terminal's own width", got)
		}
	}
}

// TestSummaryGroups: a diagnosis naming many hosts is one line with their
// list; failures no diagnosis names (a document from before diagnoses) are
// still shown, as "not diagnosed".
func TestSummaryGroups(t *testing.T) {
	d := &results.Document{SchemaVersion: results.SchemaVersion, Networks: []results.Network{{Name: "net", Driver: "overlay"}}}
	for i := 1; i <= 14; i++ {
		d.Hosts = append(d.Hosts, results.Host{Name: fmt.Sprintf("n%02d", i)})
	}
	for _, from := range d.Hosts {
		for _, to := range d.Hosts {
			if from.Name == to.Name {
				continue
			}
			p := results.Probe{Network: "net", From: from.Name, To: to.Name, Kind: results.KindDNS, Expect: results.ExpectReachable, Reachable: true, OK: true}
			if to.Name == "n14" && from.Name <= "n05" || from.Name == "n09" && to.Name == "n10" {
				p.Reachable, p.OK, p.Error = false, false, "NXDOMAIN"
			}
			d.Probes = append(d.Probes, p)
		}
	}
	d.Diagnoses = []results.Diagnosis{{Pattern: "dns", Networks: []string{"net"}, Hosts: []string{"n01", "n02", "n03", "n04", "n05"}}}
	var b bytes.Buffer
	if err := Terminal(&b, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"net  overlay  176/182 pairs as expected, 6 not (176/182 probes)\n",
		"  ✗ dns            n01, n02, n03, n04, n05 (5 hosts)  5 pairs not as expected\n",
		"  ✗ not diagnosed  n09  from it ✗ 1/13   to it ✓ 13\n",
		"                   n10  from it ✓ 13     to it ✗ 1/13\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}

	d.Diagnoses = nil
	b.Reset()
	if err := Terminal(&b, d); err != nil {
		t.Fatal(err)
	}
	if want := "  ✗ not diagnosed  n[01:05], n09, n10, n14 (8 hosts)  6 pairs not as expected\n"; !strings.Contains(b.String(), want) {
		t.Errorf("lacks %q:\n%s", want, b.String())
	}
}

// TestHTMLCompactHeatmap: without a browser, a 13-host page draws compact
// heatmaps (every row and column labelled, twice for columns, a titled
// cell per pair, the summary table beside them) and folds its long lists;
// a 3-host page keeps the large cells. TestHTMLInBrowserAt100Hosts reads
// the 100-host page in Chromium.
func TestHTMLCompactHeatmap(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, synthDoc(13)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for what, want := range map[string]int{
		`<svg class="hm"`:                  2,
		`<svg class="matrix"`:              0,
		`<text class="hl r12"`:             2,
		`<text class="hl c12"`:             2,
		`<text class="hl c12 foot"`:        2,
		`<g class="cell r`:                 2 * 13 * 13, // the empty diagonal included
		`<tr class="group" data-pattern="`: 6,           // 3 on each network
		`<main class="wide">`:              1,
		`<summary>All 13 hosts`:            1,
		`.hm:has(.r12:hover) .hl.r12`:      1,
		`.hm:has(.r13:hover)`:              0,
		`<summary>All `:                    2, // the failed probes and the hosts, folded
	} {
		if got := strings.Count(page, what); got != want {
			t.Errorf("%q: %d times, want %d", what, got, want)
		}
	}
	if !strings.Contains(page, `data-from="node13" data-to="node01" data-state="failed" data-ok="false" data-failed-kinds="icmp tcp udp dns"><title>overlab-overlay: node13 → node01: not as expected`) {
		t.Error("node13 → node01 is not a failed cell with its cause in its title")
	}

	b.Reset()
	if err := HTML(&b, loadFixture(t, "cut")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `<svg class="hm"`) || strings.Contains(b.String(), `<main class="wide">`) || strings.Contains(b.String(), "<details>") {
		t.Error("a 3-host page is drawn compact or folds its lists")
	}
}
