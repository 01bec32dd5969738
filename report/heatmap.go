package report

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/overlab/overlab/results"
)

// A matrix of more than SummaryAbove rows or columns is drawn as a compact
// heatmap: a 124-unit cell with its RTT written in it, scaled to fit 100
// columns in a page, would be 9 pixels wide with 1-pixel text. A compact
// cell is a 10-unit square, coloured as before, failures marked with a
// drawn ✗ and expected-unreachable cells with a slash (colour is still not
// the only signal), and every detail in its hover title. Labels are 9.5
// units, every row and every column (columns written upwards), with an
// extra gap every 10 rows and columns to count by eye. At the page's
// width (about 1180 pixels for 100 hosts) a unit is about a pixel; the
// page widens for it and the matrix grows with a wider window up to 1.6 ×.
const (
	hmCell    = 10
	hmGap     = 1
	hmBand    = 10 // rows and columns per band
	hmBandGap = 3  // extra gap between bands
	hmCharW   = 6  // a label character's advance at 9.5 units, rounded up
	hmGroupH  = 22 // the "probe container on host" line above the labels
)

// compactMatrix says whether m is drawn as a compact heatmap.
func compactMatrix(m *matrix) bool {
	return len(m.Rows) > SummaryAbove || len(m.Columns()) > SummaryAbove
}

// hmLabel is a row or column label of a compact heatmap; Index ties it to
// the cells of its row (class rN) or column (class cN) for the hover rule.
type hmLabel struct {
	X, Y  int
	Index int
	Text  string
	// FootY: a column's label is written again under the matrix, so that
	// a reader at its bottom (100 rows are taller than a screen) sees it.
	FootY int
}

// hmCellView is one compact cell: its square, and a mark for failed and
// expected-unreachable cells.
type hmCellView struct {
	svgCell
	R, C int
	Mark string // an SVG path; "" for none
	Ink  string // the mark's colour
}

// htmlStats is a network's summary beside its heatmap.
type htmlStats struct {
	Pairs, OK, Failed, Unreach int
	Groups                     []htmlGroup
}

type htmlGroup struct {
	Pattern, Label string
	Pairs          int
	Who            string // when the group names many hosts
	Hosts          []htmlGroupHost
}

type htmlGroupHost struct {
	Name, From, To string
	FromFail       bool
	ToFail         bool
}

func layoutCompact(i int, m *matrix, hostAddr map[string]string) svgMatrix {
	cols := m.Columns()
	s := svgMatrix{Index: i, Compact: true, Network: m.Network, Summary: m.Summary(), Rows: len(m.Rows), Cols: len(cols), HasTargets: len(m.Targets) > 0}
	colText, colChars := columnLabels(m, hostAddr)
	rowChars := 0
	for _, r := range m.Rows {
		rowChars = max(rowChars, width(r))
	}
	labelW := max(rowChars*hmCharW+10, 84) // 84: "from ↓ · to →" in the corner
	headerH := hmGroupH + colChars*hmCharW + 8
	pos := func(k int) int { return k*(hmCell+hmGap) + (k/hmBand)*hmBandGap }
	colX := func(j int) int {
		x := svgMargin + labelW + pos(j)
		if j >= len(m.Hosts) {
			x += groupGap
		}
		return x
	}
	rowY := func(r int) int { return svgMargin + headerH + pos(r) }
	s.Width = svgMargin*2 + labelW
	if len(cols) > 0 {
		s.Width = colX(len(cols)-1) + hmCell + svgMargin
	}
	bottom := svgMargin + headerH
	if len(m.Rows) > 0 {
		bottom = rowY(len(m.Rows)-1) + hmCell
	}
	s.Height = bottom + 4 + colChars*hmCharW + svgMargin
	s.MaxWidth, s.MinWidth = s.Width*8/5, s.Width*17/20
	s.CornerX, s.CornerY = svgMargin+labelW-6, svgMargin+headerH-6
	if len(m.Hosts) > 0 {
		s.Groups = append(s.Groups, svgLabel{X: (colX(0) + colX(len(m.Hosts)-1) + hmCell) / 2, Y: svgMargin + 13, Text: "probe container on host"})
	}
	if s.HasTargets {
		s.SepX = colX(len(m.Hosts)) - groupGap/2
		s.Groups = append(s.Groups, svgLabel{X: (colX(len(m.Hosts)) + colX(len(cols)-1) + hmCell) / 2, Y: svgMargin + 13, Text: "other targets"})
	}
	for j := range cols {
		// Written upwards from just above the cells, centred on the column.
		s.ColHM = append(s.ColHM, hmLabel{X: colX(j) + hmCell/2 + 4, Y: svgMargin + headerH - 4, FootY: bottom + 4, Index: j, Text: colText[j]})
	}
	for r, from := range m.Rows {
		s.RowHM = append(s.RowHM, hmLabel{X: svgMargin + labelW - 5, Y: rowY(r) + hmCell - 1, Index: r, Text: from})
		for j, to := range cols {
			c := m.Cell(from, to)
			hc := hmCellView{R: r, C: j}
			hc.svgCell = svgCell{X: colX(j), Y: rowY(r), W: hmCell, H: hmCell, Network: m.Network.Name, From: from, To: to}
			styleCell(&hc.svgCell, c)
			x, y := hc.X, hc.Y
			switch hc.State {
			case "failed":
				hc.Mark, hc.Ink = fmt.Sprintf("M%d %dl6 6m0-6l-6 6", x+2, y+2), colorLightText
			case "unreachable-expected":
				hc.Mark, hc.Ink = fmt.Sprintf("M%d %dl6-6", x+2, y+8), "#5b7a96"
			}
			s.HMCells = append(s.HMCells, hc)
		}
	}
	return s
}

// columnLabels are the columns' labels (an address that is a host's says
// which) and the longest one's length.
func columnLabels(m *matrix, hostAddr map[string]string) ([]string, int) {
	cols := m.Columns()
	out, most := make([]string, len(cols)), 0
	for j, c := range cols {
		out[j] = c
		if h, ok := hostAddr[c]; ok && j >= len(m.Hosts) {
			out[j] = c + " (" + h + ")"
		}
		most = max(most, width(out[j]))
	}
	return out, most
}

// hoverCSS highlights, while a cell is hovered, the labels of its row and
// column: a reader finds which hosts a cell is about without a script.
// One rule per index, shared by every heatmap of the page.
func hoverCSS(n int) template.CSS {
	var b strings.Builder
	for k := 0; k < n; k++ {
		fmt.Fprintf(&b, ".hm:has(.r%d:hover) .hl.r%d,.hm:has(.c%d:hover) .hl.c%d{fill:#c44e00;font-weight:700}\n", k, k, k, k)
	}
	return template.CSS(b.String())
}

// statsView is the summary printed beside a heatmap, as the terminal's.
func statsView(m *matrix, d *results.Document) *htmlStats {
	s := summarizeNet(m, d, hostResolver(d))
	v := &htmlStats{Pairs: s.Pairs, OK: s.OK, Failed: s.Pairs - s.OK, Unreach: s.Unreach}
	for _, g := range s.Groups {
		hg := htmlGroup{Label: g.label(), Pairs: g.cells}
		if g.diag != nil {
			hg.Pattern = g.diag.Pattern
		}
		if g.many() {
			hg.Who = g.who(s.Hosts)
		} else {
			for _, h := range g.hosts {
				tl := s.Tallies[h]
				hg.Hosts = append(hg.Hosts, htmlGroupHost{Name: h,
					From: fmt.Sprintf("%d/%d", tl.rowFail, tl.row), FromFail: tl.rowFail > 0,
					To: fmt.Sprintf("%d/%d", tl.colFail, tl.col), ToFail: tl.colFail > 0})
			}
		}
		v.Groups = append(v.Groups, hg)
	}
	return v
}
