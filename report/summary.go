package report

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/overlab/overlab/hostlist"
	"github.com/overlab/overlab/results"
)

// SummaryAbove is the number of hosts above which the terminal report
// summarises each network instead of drawing its matrix, and shortens its
// long lists (failures, hosts): a 13 × 13 grid of cells no longer reads at
// a glance, whatever the width.
const SummaryAbove = 12

// listLimit is how many lines a long list keeps in a summarised report.
const listLimit = 10

// WithWidth is the number of columns the report may use: a network whose
// matrix is wider is summarised. 0 (the default) sets no limit; commands
// pass Width(w).
func WithWidth(cols int) Option { return func(o *termOptions) { o.width = cols } }

// WithFullMatrix prints every matrix and every list in full whatever the
// number of hosts and the width (overlab's --matrix).
func WithFullMatrix(on bool) Option { return func(o *termOptions) { o.full = on } }

// Width is the number of columns output to w may use: the terminal's width
// when w is a terminal, else $COLUMNS when it is a positive number (set it
// to have a log or a pipe cut as a terminal of that width would be), else
// 0, no limit. Nothing wraps a file or a CI log at 80 columns: summarising
// a 3-host matrix there would hide the evidence for nothing, and above
// SummaryAbove hosts the report is summarised whatever the width.
func Width(w io.Writer) int {
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
}

// summaryReason says why m is summarised rather than drawn, or "" to draw it.
func (t *termWriter) summaryReason(m *matrix, hosts int, hostAddr map[string]string) string {
	switch {
	case t.full:
		return ""
	case hosts > SummaryAbove:
		return fmt.Sprintf("%d hosts (more than %d)", hosts, SummaryAbove)
	case t.width > 0:
		if w := matrixWidth(m, hostAddr); w > t.width {
			return fmt.Sprintf("%s's matrix is %d columns wide, the output %d", m.Network.Name, w, t.width)
		}
	}
	return ""
}

// matrixWidth is the widest line of m's matrix as the terminal draws it.
func matrixWidth(m *matrix, hostAddr map[string]string) int {
	var b strings.Builder
	(&termWriter{w: &b}).matrix(m, hostAddr)
	w := 0
	lines := strings.Split(b.String(), "\n")
	for _, l := range lines[1:] { // the first, the network's name and count, is printed either way
		w = max(w, width(l))
	}
	return w
}

// tally counts the cells of one host's row (probes from it) and column
// (probes to its containers or its address) on one network.
type tally struct{ rowFail, row, colFail, col int }

// failGroup is the failed cells of one network that one diagnosis explains
// (diag nil: no diagnosis names them), and the hosts it names among them.
type failGroup struct {
	diag  *results.Diagnosis
	cells int
	hosts []string
}

// netStats is one network counted for a summary: its pairs (cells), those
// as expected, those unreachable as expected, every host's row and column
// counts, and the failed cells grouped by the diagnosis that explains them.
type netStats struct {
	Pairs, OK, Unreach int
	Tallies            map[string]*tally
	Groups             []failGroup
	// Hosts is how many inventory hosts the network's cells touch.
	Hosts int
}

// summarizeNet counts m's cells for a summary; d gives the diagnoses.
func summarizeNet(m *matrix, d *results.Document, hostOf func(string) string) netStats {
	s := netStats{Tallies: map[string]*tally{}}
	get := func(h string) *tally {
		if s.Tallies[h] == nil {
			s.Tallies[h] = &tally{}
		}
		return s.Tallies[h]
	}
	var failed []*cell
	for _, r := range m.Rows {
		for _, col := range m.Columns() {
			c := m.Cell(r, col)
			if c.Empty() {
				continue
			}
			s.Pairs++
			from, to := get(hostOf(c.From)), get(hostOf(c.To))
			from.row++
			to.col++
			if c.OK() {
				s.OK++
				if c.ExpectUnreachable() {
					s.Unreach++
				}
				continue
			}
			from.rowFail++
			to.colFail++
			failed = append(failed, c)
		}
	}
	for h := range s.Tallies {
		if h != "" {
			s.Hosts++
		}
	}
	s.Groups = groupByDiagnosis(failed, d.Diagnoses, m.Network.Name, hostOf)
	return s
}

// netSummary is one network in a few lines: its pairs as expected, then,
// per diagnosis, the hosts whose row or column fails with their counts.
func (t *termWriter) netSummary(m *matrix, d *results.Document, hostOf func(string) string) {
	s := summarizeNet(m, d, hostOf)
	t.summaryHeader(m, s.Pairs, s.OK)
	if s.Unreach > 0 {
		t.printf("  %s %d pairs unreachable, as the lab expects (see Notes)\n", t.paint(ansiCyan, "✓"), s.Unreach)
	}
	labelW, most := 0, 0
	for h, tl := range s.Tallies {
		if h != "" {
			most = max(most, tl.row, tl.col)
		}
	}
	// "from it ✗ 100/100": the counts of every line of the network align.
	cw := width("from it ✗ ") + 2*len(strconv.Itoa(most)) + 1
	for _, g := range s.Groups {
		labelW = max(labelW, width(g.label()))
	}
	for _, g := range s.Groups {
		t.failGroup(g, s.Tallies, s.Hosts, labelW, cw)
	}
	t.printf("\n")
}

func (t *termWriter) summaryHeader(m *matrix, pairs, ok int) {
	s := m.Summary()
	var meta []string
	for _, v := range []string{m.Network.Driver, m.Network.Scope, m.Network.Subnet} {
		if v != "" {
			meta = append(meta, v)
		}
	}
	if s.Total == 0 {
		t.printf("%s  %s  %s\n\n", t.paint(ansiBold, m.Network.Name), strings.Join(meta, " · "), t.paint(ansiDim, "no probes on this network"))
		return
	}
	status := t.paint(ansiGreen, fmt.Sprintf("%d/%d pairs as expected", ok, pairs))
	if ok < pairs {
		status = t.paint(ansiRed, fmt.Sprintf("%d/%d pairs as expected, %d not", ok, pairs, pairs-ok))
	}
	t.printf("%s  %s  %s %s\n", t.paint(ansiBold, m.Network.Name), strings.Join(meta, " · "), status,
		t.paint(ansiDim, fmt.Sprintf("(%d/%d probes)", s.Passed, s.Total)))
}

// failGroup prints one diagnosis' hosts on this network: each with its row
// and column counts when they are few, else as one list.
func (t *termWriter) failGroup(g failGroup, tallies map[string]*tally, all, labelW, cw int) {
	head := "  " + t.paint(ansiRed+ansiBold, "✗") + " " + pad(g.label(), labelW) + "  "
	indent := strings.Repeat(" ", 2+2+labelW+2)
	noun := "pairs"
	if g.cells == 1 {
		noun = "pair"
	}
	if g.many() {
		t.printf("%s%s  %d %s not as expected\n", head, g.who(all), g.cells, noun)
		return
	}
	wide := 0
	for _, h := range g.hosts {
		wide = max(wide, width(h))
	}
	for i, h := range g.hosts {
		lead := head
		if i > 0 {
			lead = indent
		}
		tl := tallies[h]
		line := lead + pad(h, wide) + "  " + t.count("from it", tl.rowFail, tl.row, cw) + "  " + t.count("to it", tl.colFail, tl.col, cw)
		t.printf("%s\n", strings.TrimRight(line, " "))
	}
}

// many: the group names too many hosts (or none) for a line each.
func (g failGroup) many() bool { return len(g.hosts) > 4 || len(g.hosts) == 0 }

// who lists the group's hosts in one phrase: "every host (100)",
// "node[001:040] (40 hosts)".
func (g failGroup) who(all int) string {
	switch {
	case len(g.hosts) == 0:
		return "no host"
	case len(g.hosts) == all:
		return fmt.Sprintf("every host (%d)", all)
	}
	return hostlist.Join(g.hosts) + fmt.Sprintf(" (%d hosts)", len(g.hosts))
}

// label names the group: the diagnosis' pattern, or "not diagnosed".
func (g failGroup) label() string {
	if g.diag == nil {
		return "not diagnosed"
	}
	if g.diag.Ambiguous {
		return g.diag.Pattern + " (ambiguous)"
	}
	return g.diag.Pattern
}

// count is "from it ✗ 98/99" (failed cells of all), or "from it ✓ 99" when
// none failed.
// Padding is measured on the plain text, then the mark is painted.
func (t *termWriter) count(what string, failed, total, cw int) string {
	switch {
	case total == 0:
		return pad(what+" —", cw)
	case failed == 0:
		return strings.Replace(pad(what+" ✓ "+strconv.Itoa(total), cw), "✓", t.paint(ansiGreen, "✓"), 1)
	}
	return strings.Replace(pad(fmt.Sprintf("%s ✗ %d/%d", what, failed, total), cw), "✗", t.paint(ansiRed, "✗"), 1)
}

// groupByDiagnosis gives each failed cell to the first diagnosis of its
// network that names its source or target host, in the diagnoses' order;
// cells no diagnosis names come last, as one group.
func groupByDiagnosis(failed []*cell, ds []results.Diagnosis, network string, hostOf func(string) string) []failGroup {
	groups := make([]failGroup, len(ds)+1)
	named := make([]map[string]bool, len(ds)+1)
	for i := range ds {
		groups[i].diag = &ds[i]
	}
	for _, c := range failed {
		from, to := hostOf(c.From), hostOf(c.To)
		i := len(ds)
		for j, dg := range ds {
			if names(dg, network, from, to) {
				i = j
				break
			}
		}
		groups[i].cells++
		if named[i] == nil {
			named[i] = map[string]bool{}
		}
		for _, h := range []string{from, to} {
			if h != "" && (i == len(ds) || slices.Contains(ds[i].Hosts, h) || len(ds[i].Hosts) == 0) {
				named[i][h] = true
			}
		}
	}
	var out []failGroup
	for i, g := range groups {
		if g.cells == 0 {
			continue
		}
		for h := range named[i] {
			g.hosts = append(g.hosts, h)
		}
		hostlist.Sort(g.hosts)
		out = append(out, g)
	}
	return out
}

// names: the diagnosis is about this network (or names none) and about
// one of the two hosts (or names none).
func names(d results.Diagnosis, network, from, to string) bool {
	if len(d.Networks) > 0 && !slices.Contains(d.Networks, network) {
		return false
	}
	return len(d.Hosts) == 0 || (from != "" && slices.Contains(d.Hosts, from)) || (to != "" && slices.Contains(d.Hosts, to))
}

// hostResolver maps a matrix endpoint to its inventory host: a host name,
// "client@node2" (a workload on node2), or a host's address; "" for
// anything else (a service name, an outside address).
func hostResolver(d *results.Document) func(string) string {
	names := map[string]bool{}
	byAddr := map[string]string{}
	for _, h := range d.Hosts {
		names[h.Name] = true
		if h.Address != "" {
			byAddr[h.Address] = h.Name
		}
	}
	return func(ep string) string {
		if _, h, ok := strings.Cut(ep, "@"); ok {
			ep = h
		}
		if names[ep] {
			return ep
		}
		return byAddr[ep]
	}
}

// sampleFailures picks, from the failure lines of a big lab, the first
// line of each diagnosis on each network (and of the failures none
// names), at most listLimit: one example, with its by-hand command, of
// every way the lab fails, rather than the first host's ten.
func sampleFailures(gs [][]results.Probe, d *results.Document) [][]results.Probe {
	hostOf := hostResolver(d)
	seen := map[string]bool{}
	var out [][]results.Probe
	for _, g := range gs {
		p := g[0]
		which := -1
		for i, dg := range d.Diagnoses {
			if names(dg, p.Network, hostOf(p.From), hostOf(p.To)) {
				which = i
				break
			}
		}
		k := fmt.Sprintf("%s\x00%d", p.Network, which)
		if seen[k] || len(out) == listLimit {
			continue
		}
		seen[k] = true
		out = append(out, g)
	}
	return out
}

// more ends a cut list: how many lines it left out and where they all are.
func (t *termWriter) more(n int, what string) {
	t.printf("  %s\n", t.paint(ansiDim, fmt.Sprintf("… and %d more %s (--matrix lists them all, as does overlab report --format html)", n, what)))
}

// hostsSummary replaces the hosts table of a big lab: how many were
// reached, then each fact as its values with the hosts that have them,
// then the hosts overlab could not reach.
func (t *termWriter) hostsSummary(hs []results.Host) {
	if len(hs) == 0 {
		return
	}
	var down []results.Host
	for _, h := range hs {
		if h.Error != "" {
			down = append(down, h)
		}
	}
	head := fmt.Sprintf("Hosts (%d, all reached)", len(hs))
	if len(down) > 0 {
		head = fmt.Sprintf("Hosts (%d: %d reached, %d not)", len(hs), len(hs)-len(down), len(down))
	}
	t.printf("%s\n", t.paint(ansiBold, head))
	facts := []struct {
		name string
		of   func(results.Host) string
	}{
		{"role", func(h results.Host) string { return h.SwarmRole }},
		{"engine", func(h results.Host) string { return h.EngineVersion }},
		{"docker0", func(h results.Host) string { return h.Docker0Subnet }},
	}
	for _, f := range facts {
		if v := valuesOf(hs, f.of); v != "" {
			t.printf("  %-8s %s\n", f.name, v)
		}
	}
	for i, h := range down {
		if i == listLimit {
			t.more(len(down)-i, "hosts")
			break
		}
		t.printf("  %s %s: %s\n", t.paint(ansiRed, "✗"), h.Name, h.Error)
	}
	t.printf("\n")
}

// valuesOf is one fact across hosts, most common value first: "worker on
// 97 hosts, manager on node001, node002, node003". A host that did not say is left
// out; "" when none did.
func valuesOf(hs []results.Host, of func(results.Host) string) string {
	byValue := map[string][]string{}
	var order []string
	for _, h := range hs {
		v := of(h)
		if v == "" {
			continue
		}
		if byValue[v] == nil {
			order = append(order, v)
		}
		byValue[v] = append(byValue[v], h.Name)
	}
	if len(order) == 0 {
		return ""
	}
	slices.SortStableFunc(order, func(a, b string) int { return len(byValue[b]) - len(byValue[a]) })
	parts := []string{fmt.Sprintf("%s on %d hosts", order[0], len(byValue[order[0]]))}
	for _, v := range order[1:] {
		parts = append(parts, v+" on "+hostlist.Join(byValue[v]))
	}
	return strings.Join(parts, ", ")
}
