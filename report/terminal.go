package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/overlab/overlab/results"
)

// Option configures the terminal renderer.
type Option func(*termOptions)

type termOptions struct {
	color bool
	width int  // columns a matrix may take; 0: no limit
	full  bool // every matrix and list in full (--matrix)
}

// WithColor turns ANSI colours on. The caller decides, usually with
// ColorEnabled.
func WithColor(on bool) Option { return func(o *termOptions) { o.color = on } }

// ColorEnabled says whether output to w may be coloured: only on a terminal,
// and never when NO_COLOR is set to a non-empty value (https://no-color.org).
func ColorEnabled(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// Terminal writes the per-network matrices, the failures with their cause,
// the notes, the findings, the hosts and a summary line.
func Terminal(w io.Writer, d *results.Document, opts ...Option) error {
	var o termOptions
	for _, opt := range opts {
		opt(&o)
	}
	t := &termWriter{w: w, color: o.color, width: o.width, full: o.full}
	t.render(d)
	return t.err
}

type termWriter struct {
	w     io.Writer
	color bool
	width int
	full  bool
	// long: above SummaryAbove hosts, so long lists are cut (summary.go).
	long bool
	err  error
}

func (t *termWriter) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

// paint wraps s in an ANSI style when colours are on.
func (t *termWriter) paint(style, s string) string {
	if !t.color || style == "" {
		return s
	}
	return style + s + ansiReset
}

// render writes the report's sections in order; each says nothing when it
// has nothing to say.
func (t *termWriter) render(d *results.Document) {
	lab := d.Lab
	if lab == "" {
		lab = "(unnamed)"
	}
	t.printf("%s %s  %s, %s, %d hosts, %d networks\n\n", t.paint(ansiBold, "Lab"), t.paint(ansiBold, lab),
		d.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), formatDuration(d.DurationMS), len(d.Hosts), len(d.Networks))
	t.long = !t.full && len(d.Hosts) > SummaryAbove
	t.networks(d)
	t.faults(d.Faults)
	t.failures(d)
	t.diagnoses(d.Diagnoses)
	if ns := notes(d); len(ns) > 0 {
		t.printf("%s\n", t.paint(ansiBold, "Notes"))
		for _, g := range ns {
			t.printf("  • %s\n", g.Note)
			t.noteProbes(g.Probes)
		}
		t.printf("\n")
	}
	t.findings(d.Findings)
	if t.long {
		t.hostsSummary(d.Hosts)
	} else {
		t.hosts(d.Hosts)
	}
	t.verdict(d)
}

// networks draws each network's matrix, or its summary when the matrix
// would not read (summary.go), then the legend of what was drawn.
func (t *termWriter) networks(d *results.Document) {
	hostAddr := map[string]string{}
	for _, h := range d.Hosts {
		if h.Address != "" {
			hostAddr[h.Address] = h.Name
		}
	}
	ms := matrices(d)
	drawn, why := 0, ""
	for _, m := range ms {
		if r := t.summaryReason(m, len(d.Hosts), hostAddr); r != "" {
			t.netSummary(m, d, hostResolver(d))
			why = r
			continue
		}
		t.matrix(m, hostAddr)
		drawn++
	}
	if drawn > 0 {
		t.printf("%s\n", t.paint(ansiDim, "✓ every probe as expected (RTT of icmp)   ✗ kinds not as expected   ✓ unreach: unreachable, as expected   — not probed"))
	}
	if why != "" {
		t.printf("%s\n", t.paint(ansiDim, "from it ✗ F/N: F of the N pairs probed from the host not as expected; to it: those towards its containers or address"))
		t.printf("%s\n", t.paint(ansiDim, "summaries instead of matrices: "+why+"; --matrix prints them in full"))
	}
	if len(ms) > 0 {
		t.printf("\n")
	}
}

// failures lists the failed probes with their cause, one line per pair
// that failed one way; in a big lab, one line per diagnosis and network.
func (t *termWriter) failures(d *results.Document) {
	fs := failures(d)
	if len(fs) == 0 {
		return
	}
	gs := groupFailures(fs)
	title := fmt.Sprintf("Failures (%d probes)", len(fs))
	shown := gs
	if t.long {
		shown = sampleFailures(gs, d)
		title = fmt.Sprintf("Failures (%d probes; the first of each diagnosis on each network)", len(fs))
	}
	t.printf("%s\n", t.paint(ansiBold, title))
	for _, g := range shown {
		p := g[0]
		var kinds []string
		for _, q := range g {
			kinds = append(kinds, q.Kind)
		}
		what := strings.Join(kinds, ",")
		if tg := paren(p.Target, p.To); len(g) == 1 && tg != "" {
			what += " " + tg
		}
		t.printf("  %s %s %s %s: %s\n", t.paint(ansiRed+ansiBold, "✗"), netLabel(p), pairLabel(p), what, failureText(p))
		if p.Note != "" {
			t.printf("      note: %s\n", p.Note)
		}
		for _, q := range g {
			if q.Reproduce != "" {
				t.printf("      by hand: %s\n", q.Reproduce)
			}
		}
	}
	if len(shown) < len(gs) {
		t.more(len(gs)-len(shown), "lines of failures")
	}
	t.printf("\n")
}

// findings lists the facts worth telling, errors first.
func (t *termWriter) findings(fs []results.Finding) {
	if len(fs) == 0 {
		return
	}
	t.printf("%s\n", t.paint(ansiBold, "Findings"))
	for _, f := range sortedFindings(fs) {
		host := f.Host
		if host == "" {
			host = "-"
		}
		style := ansiDim
		switch f.Severity {
		case results.SeverityError:
			style = ansiRed
		case results.SeverityWarning:
			style = ansiYellow
		}
		t.printf("  %s  %-6s %s\n", t.paint(style, pad(f.Severity, 7)), host, f.Message)
	}
	t.printf("\n")
}

// hosts is the table of hosts, then those overlab could not reach.
func (t *termWriter) hosts(hs []results.Host) {
	if len(hs) == 0 {
		return
	}
	t.printf("%s\n", t.paint(ansiBold, "Hosts"))
	rows := [][]string{{"NAME", "ADDRESS", "ROLE", "ENGINE", "DOCKER0 SUBNET", "GATEWAY"}}
	for _, h := range hs {
		rows = append(rows, []string{h.Name, dash(h.Address), dash(h.SwarmRole), dash(h.EngineVersion), dash(h.Docker0Subnet), dash(h.Docker0Gateway)})
	}
	widths := columnWidths(rows)
	for i, r := range rows {
		line := "  "
		for j, c := range r {
			if j == len(r)-1 {
				line += c
			} else {
				line += pad(c, widths[j]) + "  "
			}
		}
		if i == 0 {
			line = t.paint(ansiDim, line)
		}
		t.printf("%s\n", line)
	}
	for _, h := range hs {
		if h.Error != "" {
			t.printf("  %s %s: %s\n", t.paint(ansiRed, "✗"), h.Name, h.Error)
		}
	}
	t.printf("\n")
}

func (t *termWriter) matrix(m *matrix, hostAddr map[string]string) {
	if !t.matrixTitle(m) {
		return
	}
	cols := m.Columns()
	header := append([]string{`from \ to`}, cols...)
	rows := [][]styledCell{dimmed(header)}
	if sub := targetHosts(m, hostAddr, len(header)); sub != nil {
		rows = append(rows, dimmed(sub))
	}
	for _, r := range m.Rows {
		row := []styledCell{{r, ""}}
		for _, c := range cols {
			text, style := cellText(m.Cell(r, c))
			row = append(row, styledCell{text, style})
		}
		rows = append(rows, row)
	}
	texts := make([][]string, len(rows))
	for i, row := range rows {
		for _, c := range row {
			texts[i] = append(texts[i], c.text)
		}
	}
	widths := columnWidths(texts)
	for _, row := range rows {
		t.printf("%s", t.matrixLine(m, widths, row))
	}
	t.printf("\n")
}

// styledCell is a matrix cell's text and the style it is painted in.
type styledCell struct{ text, style string }

func dimmed(texts []string) []styledCell {
	out := make([]styledCell, len(texts))
	for i, s := range texts {
		out[i] = styledCell{s, ansiDim}
	}
	return out
}

// matrixTitle prints the network's name, driver, scope, subnet and tally;
// false when the network has no probes, so no grid follows.
func (t *termWriter) matrixTitle(m *matrix) bool {
	s := m.Summary()
	var meta []string
	for _, v := range []string{m.Network.Driver, m.Network.Scope, m.Network.Subnet} {
		if v != "" {
			meta = append(meta, v)
		}
	}
	status := t.paint(ansiGreen, fmt.Sprintf("%d/%d as expected", s.Passed, s.Total))
	if s.Failed > 0 {
		status = t.paint(ansiRed, fmt.Sprintf("%d/%d as expected, %d failed", s.Passed, s.Total, s.Failed))
	}
	if s.Total == 0 {
		// A network the lab only uses (a client's docker0): no grid of dots.
		t.printf("%s  %s  %s\n\n", t.paint(ansiBold, m.Network.Name), strings.Join(meta, " · "), t.paint(ansiDim, "no probes on this network"))
		return false
	}
	t.printf("%s  %s  %s\n", t.paint(ansiBold, m.Network.Name), strings.Join(meta, " · "), status)
	return true
}

// targetHosts is a second header row naming the lab host whose address a
// target column is; nil when no target is a host's address.
func targetHosts(m *matrix, hostAddr map[string]string, n int) []string {
	sub := make([]string, n)
	found := false
	for i, c := range m.Targets {
		if h, ok := hostAddr[c]; ok {
			sub[1+len(m.Hosts)+i] = "host " + h
			found = true
		}
	}
	if !found {
		return nil
	}
	return sub
}

// matrixLine lays out one row: columns padded to widths, a bar between the
// hosts and the other targets, no trailing blanks.
func (t *termWriter) matrixLine(m *matrix, widths []int, cells []styledCell) string {
	var b strings.Builder
	b.WriteString("  ")
	for i, c := range cells {
		if i > 0 {
			if len(m.Targets) > 0 && i-1 == len(m.Hosts) {
				b.WriteString(" │ ")
			} else {
				b.WriteString("  ")
			}
		}
		text := c.text
		if i < len(cells)-1 {
			text = pad(text, widths[i])
		}
		b.WriteString(t.paint(c.style, text))
	}
	return strings.TrimRight(b.String(), " ") + "\n"
}

// cellText is the cell's symbol with its RTT or failed kinds, and its style.
func cellText(c *cell) (string, string) {
	switch {
	case c.Empty():
		if c.From == c.To {
			return "—", ansiDim
		}
		return "·", ansiDim
	case c.OK() && c.ExpectUnreachable():
		return "✓ unreach", ansiCyan
	case c.OK():
		if ms, ok := c.RTT(); ok {
			return "✓ " + formatRTT(ms), ansiGreen
		}
		return "✓", ansiGreen
	case c.AllFailed() && len(c.Probes) > 1:
		return "✗ all", ansiRed + ansiBold
	default:
		return "✗ " + strings.Join(c.FailedKinds(), ","), ansiRed + ansiBold
	}
}

// groupFailures merges the failed probes of one pair that failed the same
// way (a host cut off fails every kind with one cause), in first-seen order.
func groupFailures(fs []results.Probe) [][]results.Probe {
	type key struct {
		network, from, to, expect, err, note string
		tries                                int
	}
	var out [][]results.Probe
	idx := map[key]int{}
	for _, p := range fs {
		k := key{netLabel(p), p.From, p.To, p.Expect, probeError(p), p.Note, p.Tries}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], p)
	}
	return out
}

// failureText says what was expected, what happened and after how many tries.
func failureText(p results.Probe) string {
	s := "expected " + p.Expect + ": " + probeError(p)
	switch {
	case p.Tries == 1:
		s += " (1 try)"
	case p.Tries > 1:
		s += fmt.Sprintf(" (%d tries)", p.Tries)
	}
	return s
}

// paren shows a probe's target unless it only repeats "to".
func paren(target, to string) string {
	if target == "" || target == to {
		return ""
	}
	return "(" + target + ")"
}

func width(s string) int { return utf8.RuneCountInString(s) }

func pad(s string, n int) string {
	if w := width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func columnWidths(rows [][]string) []int {
	var ws []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(ws) {
				ws = append(ws, 0)
			}
			if width(c) > ws[i] {
				ws[i] = width(c)
			}
		}
	}
	return ws
}

// noteProbes sums up the probes a note explains: passing ones as a count per
// expectation (a full matrix would repeat the note's pairs many times),
// failing ones one line per pair with their kinds.
func (t *termWriter) noteProbes(ps []results.Probe) {
	passed := map[string]int{}
	var order []string
	var failed []results.Probe
	for _, p := range ps {
		if !p.OK {
			failed = append(failed, p)
			continue
		}
		if passed[p.Expect] == 0 {
			order = append(order, p.Expect)
		}
		passed[p.Expect]++
	}
	for _, e := range order {
		noun := "probes"
		if passed[e] == 1 {
			noun = "probe"
		}
		t.printf("      %s %d %s as expected (%s)\n", t.paint(ansiGreen, "✓"), passed[e], noun, e)
	}
	for i, g := range groupFailures(failed) {
		if t.long && i == listLimit {
			t.more(len(groupFailures(failed))-i, "pairs")
			break
		}
		p := g[0]
		kinds := make([]string, 0, len(g))
		for _, q := range g {
			kinds = append(kinds, q.Kind)
		}
		t.printf("      %s %s %s %s (expected %s)\n", t.paint(ansiRed, "✗"), netLabel(p), pairLabel(p), strings.Join(kinds, ","), p.Expect)
	}
}

// diagnoses prints each failure pattern with its cause, evidence and fix.
func (t *termWriter) diagnoses(ds []results.Diagnosis) {
	if len(ds) == 0 {
		return
	}
	t.printf("%s\n", t.paint(ansiBold, "Diagnosis"))
	for _, d := range ds {
		tag := d.Pattern
		if d.Ambiguous {
			tag += ", ambiguous"
		}
		t.printf("  %s %s (%s)\n", t.paint(ansiRed+ansiBold, "✗"), d.Cause, tag)
		t.printf("      evidence: %s\n", d.Evidence)
		t.printf("      fix: %s\n", d.Fix)
		if d.Ambiguous && len(d.Doctor) > 0 {
			t.printf("      overlab doctor tells apart: %s\n", strings.Join(d.Doctor, ", "))
		}
		for _, f := range d.DoctorFindings {
			t.printf("      doctor: %s\n", f)
		}
	}
	t.printf("\n")
}
