package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/overlab/overlab/results"
)

//go:embed html.tmpl
var htmlTemplate string

var htmlPage = template.Must(template.New("report").Parse(htmlTemplate))

// SVG geometry of a matrix, in user units (the SVG scales with the page).
const (
	cellW     = 124
	cellH     = 68
	cellGap   = 4
	labelW    = 150
	headerH   = 78
	groupGap  = 28
	svgMargin = 8
)

// Colour-blind safe palette (Okabe-Ito blue/vermillion): a passing cell is a
// shade of blue by latency, a failing one vermillion with hatching and ✗, so
// colour is never the only signal.
const (
	colorFail      = "#c44e00"
	colorEmpty     = "#eef0f2"
	colorUnreach   = "#e3ecf4"
	colorFastRTT   = "#d2e6f5"
	colorSlowRTT   = "#0a4a85"
	colorNoRTT     = "#5b9bd1"
	colorDarkText  = "#10273d"
	colorLightText = "#ffffff"
)

type htmlView struct {
	Title    string
	Schema   int
	Lab      string
	Started  string
	Duration string
	Hosts    []results.Host
	Summary  results.Summary
	NotRun   string // why there is no probe (verdict.go)
	Networks []svgMatrix
	Failures []htmlFailure
	// FailureGroups are the failures per network, in matrix order.
	FailureGroups []failureGroup
	Notes         []htmlNote
	Findings      []results.Finding
	Diagnoses     []results.Diagnosis
	HostError     bool
	Legend        []legendItem
	RTTScale      []rttTick
	// Wide: a compact heatmap is on the page, which then takes the
	// window's width; HoverCSS highlights a hovered cell's labels; Long:
	// above SummaryAbove hosts, long lists fold (heatmap.go).
	Wide     bool
	HoverCSS template.CSS
	Long     bool
	// Topology is the picture of the lab; Linux are the pictures of each
	// network's Linux objects (when the check gathered them).
	Topology picture
	Linux    []picture
	// Faults are a fault lab's faults and expected diagnoses.
	Faults       []faultCase
	FaultNotes   []results.Fault
	FaultsFailed int
	Broken       int // probes a fault lab's faults broke, as it expects
}

type svgMatrix struct {
	Index                int
	Network              results.Network
	Summary              results.Summary
	Width, Height        int
	MaxWidth             int
	WidthPct             string
	Rows, Cols           int
	RowLabels, ColLabels []svgLabel
	Groups               []svgLabel
	SepX                 int
	CornerX, CornerY     int
	HasTargets           bool
	Cells                []svgCell
	// A compact heatmap (heatmap.go) has these instead of Cells and labels.
	Compact      bool
	MinWidth     int
	RowHM, ColHM []hmLabel
	HMCells      []hmCellView
	Stats        *htmlStats
}

type svgLabel struct {
	X, Y, SubY int
	Text, Sub  string
}

type svgCell struct {
	X, Y, W, H  int
	CX          int
	SymY        int
	L2Y, L3Y    int
	Dashed      bool
	HatchID     string
	Network     string
	From, To    string
	State       string
	OK          string
	Fill        string
	Hatch       bool
	TextColor   string
	Symbol      string
	Line2       string
	Line3       string
	Title       string
	FailedKinds string
}

type htmlFailure struct {
	results.Probe
	Cause string
}

type failureGroup struct {
	Network string
	Probes  []htmlFailure
}

type htmlNote struct {
	Note           string
	Probes         []results.Probe
	Passed, Failed int
}

type legendItem struct {
	Fill, TextColor, Symbol, Label string
	Hatch                          bool
}

type rttTick struct {
	Offset string
	Color  string
	Label  string
	X      int
}

// HTML writes one self-contained page: inline CSS and SVG, no scripts, no
// fonts, nothing fetched, so it opens offline from disk and on a projector.
func HTML(w io.Writer, d *results.Document) error {
	v := newHTMLView(d)
	if err := v.pictures(d); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	if err := htmlPage.Execute(w, v); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}

// newHTMLView is what the report's page (and watch's live page, which
// renders the same sections) shows of d.
func newHTMLView(d *results.Document) htmlView {
	v := htmlView{
		Lab:       d.Lab,
		Schema:    d.SchemaVersion,
		Started:   d.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration:  formatDuration(d.DurationMS),
		Hosts:     d.Hosts,
		Summary:   summarize(d.Probes),
		NotRun:    notRun(d),
		Findings:  sortedFindings(d.Findings),
		Diagnoses: d.Diagnoses,
	}
	if v.Lab == "" {
		v.Lab = "(unnamed lab)"
	}
	v.Title = "overlab · " + v.Lab + " · " + v.Started
	for _, h := range d.Hosts {
		if h.Error != "" {
			v.HostError = true
		}
	}
	v.Long = len(d.Hosts) > SummaryAbove
	v.layoutNetworks(d)
	v.faultRun(d)
	for _, p := range failures(d) {
		v.Failures = append(v.Failures, htmlFailure{Probe: p, Cause: probeError(p)})
	}
	for _, n := range v.Networks {
		var g failureGroup
		g.Network = n.Network.Name
		for _, f := range v.Failures {
			if netLabel(f.Probe) == g.Network {
				g.Probes = append(g.Probes, f)
			}
		}
		if len(g.Probes) > 0 {
			v.FailureGroups = append(v.FailureGroups, g)
		}
	}
	for _, g := range notes(d) {
		s := summarize(g.Probes)
		v.Notes = append(v.Notes, htmlNote{Note: g.Note, Probes: g.Probes, Passed: s.Passed, Failed: s.Failed})
	}
	v.Legend = []legendItem{
		{Fill: colorFastRTT, TextColor: colorDarkText, Symbol: "✓", Label: "every probe as expected (fast)"},
		{Fill: colorSlowRTT, TextColor: colorLightText, Symbol: "✓", Label: "as expected (slower)"},
		{Fill: colorUnreach, TextColor: colorDarkText, Symbol: "⊘", Label: "unreachable, as the lab expects"},
		{Fill: colorFail, TextColor: colorLightText, Symbol: "✗", Label: "not as expected", Hatch: true},
		{Fill: colorEmpty, TextColor: "#6b7785", Symbol: "—", Label: "not probed"},
	}
	for i, ms := range []float64{0.1, 1, 10, 100} {
		v.RTTScale = append(v.RTTScale, rttTick{
			Offset: fmt.Sprintf("%d%%", i*100/3),
			Color:  heatColor(ms),
			Label:  fmt.Sprintf("%g ms", ms),
			X:      i,
		})
	}
	return v
}

// layoutNetworks lays out each network: large cells, or a compact heatmap
// and its summary when the matrix is big (heatmap.go).
func (v *htmlView) layoutNetworks(d *results.Document) {
	hostAddr := map[string]string{}
	for _, h := range d.Hosts {
		if h.Address != "" {
			hostAddr[h.Address] = h.Name
		}
	}
	widest := map[bool]int{}
	hover := 0
	for i, m := range matrices(d) {
		var s svgMatrix
		if compactMatrix(m) {
			s = layoutCompact(i, m, hostAddr)
			s.Stats = statsView(m, d)
			v.Wide = true
			hover = max(hover, s.Rows, s.Cols)
		} else {
			s = layout(i, m, hostAddr)
		}
		widest[s.Compact] = max(widest[s.Compact], s.Width)
		v.Networks = append(v.Networks, s)
	}
	// One scale for every matrix of a kind: a cell is as big in each network.
	for i, n := range v.Networks {
		v.Networks[i].WidthPct = fmt.Sprintf("%.1f%%", float64(n.Width)*100/float64(widest[n.Compact]))
	}
	v.HoverCSS = hoverCSS(hover)
}

// pictures draws the topology and each network's Linux view.
func (v *htmlView) pictures(d *results.Document) error {
	var err error
	if v.Topology, err = drawPicture(TopologyGraph(d)); err != nil {
		return err
	}
	for _, ev := range d.Explain {
		p, err := drawPicture(ExplainGraph(ev, d))
		if err != nil {
			return err
		}
		v.Linux = append(v.Linux, p)
	}
	return nil
}

// faultRun says a fault lab's faults, their diagnoses and the probes they
// broke as the lab expects.
func (v *htmlView) faultRun(d *results.Document) {
	v.Faults = faultCases(d.Faults)
	v.FaultsFailed = faultsFailed(d.Faults)
	if d.Faults != nil {
		v.FaultNotes = d.Faults.Faults
	}
	for _, p := range d.Probes {
		if p.OK && p.Broken() {
			v.Broken++
		}
	}
}

func layout(i int, m *matrix, hostAddr map[string]string) svgMatrix {
	cols := m.Columns()
	s := svgMatrix{Index: i, Network: m.Network, Summary: m.Summary(), Rows: len(m.Rows), Cols: len(cols), HasTargets: len(m.Targets) > 0}
	colX := func(j int) int {
		x := svgMargin + labelW + j*(cellW+cellGap)
		if j >= len(m.Hosts) {
			x += groupGap
		}
		return x
	}
	rowY := func(r int) int { return svgMargin + headerH + r*(cellH+cellGap) }
	s.Width = colX(len(cols)-1) + cellW + svgMargin
	if len(cols) == 0 {
		s.Width = svgMargin*2 + labelW
	}
	s.Height = rowY(len(m.Rows)) + svgMargin
	s.MaxWidth = s.Width * 3 / 2
	s.CornerX, s.CornerY = svgMargin+labelW-14, svgMargin+headerH-12
	if len(m.Hosts) > 0 {
		s.Groups = append(s.Groups, svgLabel{X: (colX(0) + colX(len(m.Hosts)-1) + cellW) / 2, Y: svgMargin + 16, Text: "probe container on host"})
	}
	if s.HasTargets {
		s.SepX = colX(len(m.Hosts)) - groupGap/2
		s.Groups = append(s.Groups, svgLabel{X: (colX(len(m.Hosts)) + colX(len(cols)-1) + cellW) / 2, Y: svgMargin + 16, Text: "other targets"})
	}
	for j, c := range cols {
		l := svgLabel{X: colX(j) + cellW/2, Y: svgMargin + headerH - 28, SubY: svgMargin + headerH - 12, Text: c}
		if h, ok := hostAddr[c]; ok && j >= len(m.Hosts) {
			l.Sub = "host " + h
		}
		s.ColLabels = append(s.ColLabels, l)
	}
	for r, from := range m.Rows {
		s.RowLabels = append(s.RowLabels, svgLabel{X: svgMargin + labelW - 14, Y: rowY(r) + cellH/2 + 6, Text: from})
		for j, to := range cols {
			c := m.Cell(from, to)
			sc := svgCell{X: colX(j), Y: rowY(r), W: cellW, H: cellH, Network: m.Network.Name, From: from, To: to}
			sc.CX = sc.X + cellW/2
			sc.SymY, sc.L2Y, sc.L3Y = sc.Y+27, sc.Y+46, sc.Y+61
			sc.HatchID = fmt.Sprintf("hatch-%d", i)
			styleCell(&sc, c)
			s.Cells = append(s.Cells, sc)
		}
	}
	return s
}

// styleCell picks colour, symbol, the two text lines and the tooltip.
func styleCell(sc *svgCell, c *cell) {
	pair := c.Network + ": " + c.From + " → " + c.To
	kinds := make([]string, 0, len(c.Probes))
	for _, p := range c.Probes {
		kinds = append(kinds, p.Kind)
	}
	switch {
	case c.Empty():
		sc.State, sc.Fill, sc.TextColor, sc.Symbol = "empty", colorEmpty, "#6b7785", "—"
		sc.Title = pair + ": not probed"
	case c.OK() && c.ExpectUnreachable():
		sc.State, sc.OK, sc.Fill, sc.TextColor, sc.Symbol, sc.Dashed = "unreachable-expected", "true", colorUnreach, colorDarkText, "⊘", true
		sc.Line2, sc.Line3 = "unreachable", "as expected"
		sc.Title = pair + ": unreachable (" + strings.Join(kinds, ", ") + "), as expected"
		if n := c.Notes(); len(n) > 0 {
			sc.Title += "\n" + strings.Join(n, "\n")
		}
	case c.OK():
		sc.State, sc.OK, sc.Symbol = "ok", "true", "✓"
		sc.Line3 = strings.Join(kinds, " · ")
		if ms, ok := c.RTT(); ok {
			sc.Fill = heatColor(ms)
			sc.Line2 = formatRTT(ms)
			sc.Title = fmt.Sprintf("%s: %d probes as expected (%s), RTT %s", pair, len(c.Probes), strings.Join(kinds, ", "), formatRTT(ms))
		} else {
			sc.Fill = colorNoRTT
			sc.Title = fmt.Sprintf("%s: %d probes as expected (%s)", pair, len(c.Probes), strings.Join(kinds, ", "))
		}
		sc.TextColor = textOn(sc.Fill)
	default:
		sc.State, sc.OK, sc.Fill, sc.TextColor, sc.Symbol, sc.Hatch = "failed", "false", colorFail, colorLightText, "✗", true
		failed := c.FailedKinds()
		sc.FailedKinds = strings.Join(failed, " ")
		if c.AllFailed() && len(c.Probes) > 1 {
			sc.Line2 = "all failed"
		} else {
			sc.Line2 = strings.Join(failed, " · ")
		}
		if len(c.Probes) > 1 {
			sc.Line3 = fmt.Sprintf("%d of %d failed", countFailed(c), len(c.Probes))
		}
		sc.Title = pair + ": not as expected\n" + strings.ReplaceAll(c.Cause(), "; ", "\n")
	}
}

func countFailed(c *cell) int {
	n := 0
	for _, p := range c.Probes {
		if !p.OK {
			n++
		}
	}
	return n
}

// heatColor maps a round trip on a fixed log scale (0.1 ms to 100 ms) to a
// blue, light for fast and dark for slow; fixed so runs compare by eye.
func heatColor(ms float64) string {
	t := (math.Log10(math.Max(ms, 0.01)) + 1) / 3
	t = math.Max(0, math.Min(1, t))
	return mix(colorFastRTT, colorSlowRTT, t)
}

func mix(a, b string, t float64) string {
	var ar, ag, ab, br, bg, bb int
	fmt.Sscanf(a, "#%02x%02x%02x", &ar, &ag, &ab)
	fmt.Sscanf(b, "#%02x%02x%02x", &br, &bg, &bb)
	l := func(x, y int) int { return int(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return fmt.Sprintf("#%02x%02x%02x", l(ar, br), l(ag, bg), l(ab, bb))
}

// textOn picks dark or white text for enough contrast on fill.
func textOn(fill string) string {
	var r, g, b int
	fmt.Sscanf(fill, "#%02x%02x%02x", &r, &g, &b)
	lum := 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
	if lum < 140 {
		return colorLightText
	}
	return colorDarkText
}
