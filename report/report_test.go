package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/results"
)

// fixtures are realistic check documents: every probe passing; node3 cut off
// from the underlay; TCP failing one way over VXLAN (an MTU problem); the
// fault lab vxlan-blocked as `overlab lab run` recorded it on 3 local hosts
// (4789/udp dropped on node3, with the Linux view of both networks).
var fixtures = []string{"pass", "cut", "mtu", "vxlan-blocked"}

func loadFixture(t *testing.T, name string) *results.Document {
	t.Helper()
	d, err := results.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGolden(t *testing.T) {
	formats := []struct {
		name   string
		render func(*bytes.Buffer, *results.Document) error
	}{
		{"terminal", func(b *bytes.Buffer, d *results.Document) error { return Terminal(b, d) }},
		{"terminal-color", func(b *bytes.Buffer, d *results.Document) error { return Terminal(b, d, WithColor(true)) }},
		{"json", func(b *bytes.Buffer, d *results.Document) error { return JSON(b, d) }},
		{"yaml", func(b *bytes.Buffer, d *results.Document) error { return YAML(b, d) }},
		{"junit", func(b *bytes.Buffer, d *results.Document) error { return JUnit(b, d) }},
		{"html", func(b *bytes.Buffer, d *results.Document) error { return HTML(b, d) }},
	}
	for _, fx := range fixtures {
		for _, f := range formats {
			t.Run(fx+"/"+f.name, func(t *testing.T) {
				d := loadFixture(t, fx)
				var buf bytes.Buffer
				if err := f.render(&buf, d); err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, fx+"."+f.name+".golden", buf.Bytes())
			})
		}
	}
}

func TestTerminalColorOnlyWhenAsked(t *testing.T) {
	d := loadFixture(t, "cut")
	var plain, color bytes.Buffer
	if err := Terminal(&plain, d); err != nil {
		t.Fatal(err)
	}
	if err := Terminal(&color, d, WithColor(true)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain output has ANSI escapes")
	}
	if !strings.Contains(color.String(), "\x1b[31m") {
		t.Error("coloured output has no red")
	}
	strip := strings.NewReplacer(ansiReset, "", ansiBold, "", ansiDim, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiCyan, "")
	if got := strip.Replace(color.String()); got != plain.String() {
		t.Errorf("colour changes the text, not only its style:\n%s", golden.FirstDiff(plain.String(), got))
	}
}

func TestColorEnabled(t *testing.T) {
	var buf bytes.Buffer
	t.Setenv("NO_COLOR", "")
	if ColorEnabled(&buf) {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ColorEnabled(f) {
		t.Error("a regular file is not a terminal")
	}
	// The controlling terminal, when the test has one, is the real case.
	if pt, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer pt.Close()
		if !ColorEnabled(pt) {
			t.Error("a terminal should get colour")
		}
		t.Setenv("NO_COLOR", "1")
		if ColorEnabled(pt) {
			t.Error("NO_COLOR must turn colour off on a terminal")
		}
	}
}

func TestTerminalMatrixCells(t *testing.T) {
	d := loadFixture(t, "cut")
	ms := matrices(d)
	if len(ms) != 2 {
		t.Fatalf("got %d matrices, want 2", len(ms))
	}
	tests := []struct {
		net, from, to string
		want          string
	}{
		{"overlab-overlay", "node1", "node2", "✓ 0.33ms"},
		{"overlab-overlay", "node1", "node3", "✗ icmp,tcp,udp"}, // dns still answers for a lost host
		{"overlab-overlay", "node3", "node1", "✗ all"},
		{"overlab-overlay", "node1", "node1", "—"},
		{"overlab-macvlan", "node1", "192.168.50.11", "✓ unreach"},
		{"overlab-macvlan", "node1", "192.168.50.13", "✗ icmp"},
		{"overlab-macvlan", "node1", "192.168.50.12", "✓ 0.21ms"},
	}
	byName := map[string]*matrix{}
	for _, m := range ms {
		byName[m.Network.Name] = m
	}
	for _, tc := range tests {
		got, _ := cellText(byName[tc.net].Cell(tc.from, tc.to))
		if got != tc.want {
			t.Errorf("%s %s→%s: got %q, want %q", tc.net, tc.from, tc.to, got, tc.want)
		}
	}
	mv := byName["overlab-macvlan"]
	if got := strings.Join(mv.Targets, " "); got != "192.168.50.11 192.168.50.12 192.168.50.13" {
		t.Errorf("macvlan targets: %q", got)
	}
	if got := strings.Join(mv.Hosts, " "); got != "node1 node2 node3" {
		t.Errorf("macvlan hosts: %q", got)
	}
}

func TestFailedCellCarriesCause(t *testing.T) {
	d := loadFixture(t, "mtu")
	var buf bytes.Buffer
	if err := HTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	i := strings.Index(html, `data-from="node1" data-to="node2" data-state="failed" data-ok="false"`)
	if i < 0 {
		t.Fatal("no failed cell node1→node2 on the overlay")
	}
	cell := html[i : i+strings.Index(html[i:], "</g>")]
	if !strings.Contains(cell, "<title>overlab-overlay: node1 → node2: not as expected\ntcp: connected to 10.20.0.4:7946 but the 1400-byte echo") {
		t.Errorf("failed cell's title does not carry the cause:\n%s", cell)
	}
	for _, bad := range []string{"http://", "https://", "<script", "@import", "url(http", "<link rel=\"stylesheet\""} {
		if strings.Contains(strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("HTML report contains %q: it must not fetch anything", bad)
		}
	}
}

// A lab that only uses a network (clients on docker0 probing elsewhere) gets
// one line for it, not an empty grid; a note over many passing probes is a
// count, and only failing pairs are listed under it.
func TestTerminalQuietNotesAndEmptyNetworks(t *testing.T) {
	note := "published ports answer on the host's address"
	d := &results.Document{
		SchemaVersion: results.SchemaVersion, Lab: "publish",
		Networks: []results.Network{{Name: "overlab-publish", Driver: "bridge"}, {Name: "bridge", Driver: "bridge", Subnet: "172.17.0.0/16"}},
	}
	for i, to := range []string{"node1", "node1", "node1", "node1"} {
		p := results.Probe{Network: "overlab-publish", From: "client@node" + strconv.Itoa(i+2), To: to, Kind: "http", Expect: results.ExpectReachable, Reachable: true, OK: true, Note: note}
		if i == 3 {
			p.Reachable, p.OK, p.Error = false, false, "expect #1 (publish.yaml:20): connection refused"
		}
		d.Probes = append(d.Probes, p)
	}
	d.Summarize()
	var b bytes.Buffer
	if err := Terminal(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"bridge  bridge · 172.17.0.0/16  no probes on this network\n",
		"      ✓ 3 probes as expected (reachable)\n",
		"      ✗ overlab-publish client@node5 → node1 http (expected reachable)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Count(out, `from \ to`) != 1 {
		t.Errorf("want one grid (overlab-publish), got:\n%s", out)
	}
	if strings.Contains(out, "✓ overlab-publish client@node2") {
		t.Errorf("a passing probe is listed under its note:\n%s", out)
	}
}
