package graph

import (
	"strings"
	"unicode/utf8"
)

// Geometry of the SVG picture, in user units. Sizes are chosen for a
// projector: a label is 15 units high when the picture is drawn 1:1, and
// the page scales a wide picture down no further than it stays readable.
const (
	margin     = 16
	titleH     = 34
	fontLabel  = 15.0
	fontLine   = 12.5
	fontHost   = 20.0
	fontSmall  = 11.5
	lineLabel  = 19
	lineLine   = 16
	padX       = 10
	padY       = 7
	nodeMaxW   = 250
	rankGap    = 46
	groupPad   = 9
	groupHead  = 17
	busGap     = 34
	noteLine   = 20
	fontNote   = 15.0
	gutterMin  = 150
	gutterMax  = 250
	arcBase    = 30
	arcStep    = 24
	arcStackDy = 9
)

// charW estimates a character's width at font size f (no font metrics:
// the picture must look right in any sans-serif the viewer has).
func charW(f float64) float64 { return f * 0.6 }

func textW(s string, f float64) int { return int(float64(utf8.RuneCountInString(s))*charW(f) + 0.5) }

// fit cuts s to at most w units at font size f, ending in "…".
func fit(s string, w int, f float64) string {
	max := int(float64(w) / charW(f))
	if utf8.RuneCountInString(s) <= max || max < 2 {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// wrap breaks s into lines of at most w units at font size f.
func wrap(s string, w int, f float64) []string {
	max := int(float64(w) / charW(f))
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= max:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// spacing is the room between boxes and hosts: Compact halves it, so that
// ten hosts side by side still read on a projector.
type spacing struct{ nodeMinW, slotGap, colPad, colGap int }

func spacingOf(g *Graph) spacing {
	if g.Compact {
		return spacing{nodeMinW: 84, slotGap: 8, colPad: 4, colGap: 10}
	}
	return spacing{nodeMinW: 110, slotGap: 14, colPad: 14, colGap: 36}
}

type rect struct{ x, y, w, h int }

func (r rect) cx() int     { return r.x + r.w/2 }
func (r rect) bottom() int { return r.y + r.h }

// layout is where everything of a graph goes.
type layout struct {
	g             *Graph
	sp            spacing
	width, height int
	gutter        int
	top           int // y of the column headers
	headerH       int
	cols          []rect // each column's frame
	rowY, rowH    []int  // per rank
	nodes         map[string]rect
	nodeText      map[string][]string // the label and lines, cut to fit
	busY          map[string]int
	busNotes      map[string][]string
	busX0, busX1  int
	arcs          []arcGeom
	above, below  int // room the arcs need above the hosts, below the buses
}

type arcGeom struct {
	idx     int // the edge's index in the graph
	e       Edge
	x1, x2  int
	y, d    int // y where the arc leaves the boxes; d its depth (negative: up)
	yA, yB  int // the endpoints' own y
	labelAt [2]int
}

func newLayout(g *Graph) *layout {
	l := &layout{g: g, sp: spacingOf(g), nodes: map[string]rect{}, nodeText: map[string][]string{}, busY: map[string]int{}, busNotes: map[string][]string{}}
	l.sizeNodes()
	l.placeColumns()
	l.measureArcs()
	l.placeRows()
	l.placeBuses()
	l.placeArcs()
	return l
}

// sizeNodes measures every box (its width and height; not yet placed).
func (l *layout) sizeNodes() {
	for _, c := range l.g.Columns {
		for _, n := range c.Nodes {
			w := textW(n.Label, fontLabel) + 2*padX
			for _, s := range n.Lines {
				w = max(w, textW(s, fontLine)+2*padX)
			}
			w = min(max(w, l.sp.nodeMinW), nodeMaxW)
			text := []string{fit(n.Label, w-2*padX, fontLabel)}
			for _, s := range n.Lines {
				text = append(text, fit(s, w-2*padX, fontLine))
			}
			l.nodeText[n.ID] = text
			l.nodes[n.ID] = rect{w: w, h: 2*padY + lineLabel + len(n.Lines)*lineLine}
		}
	}
}

func maxRank(g *Graph) int {
	r := -1
	for _, c := range g.Columns {
		for _, n := range c.Nodes {
			r = max(r, n.Rank)
		}
	}
	return r
}

// rowWidth is the width of column c's boxes of rank r side by side.
func (l *layout) rowWidth(c *Column, r int) int {
	w := 0
	for _, n := range c.Nodes {
		if n.Rank == r {
			if w > 0 {
				w += l.sp.slotGap
			}
			w += l.nodes[n.ID].w
		}
	}
	return w
}

// placeColumns sets each column's x and width, and the gutter that holds
// the buses' names.
func (l *layout) placeColumns() {
	if len(l.g.Buses) > 0 {
		w := 0
		for _, b := range l.g.Buses {
			w = max(w, textW(b.Label, fontLabel))
			for _, s := range b.Lines {
				w = max(w, textW(s, fontLine))
			}
		}
		l.gutter = min(max(w, gutterMin), gutterMax) + 12
	}
	x := margin + l.gutter
	for _, c := range l.g.Columns {
		w := textW(c.Label, fontHost)
		for _, s := range c.Lines {
			w = max(w, textW(s, fontLine))
		}
		for r := 0; r <= maxRank(l.g); r++ {
			w = max(w, l.rowWidth(c, r))
		}
		w = min(max(w, l.sp.nodeMinW), nodeMaxW*3) + 2*l.sp.colPad
		l.cols = append(l.cols, rect{x: x, w: w})
		x += w + l.sp.colGap
	}
	l.width = x - l.sp.colGap + margin
	if len(l.g.Columns) == 0 {
		l.width = margin*2 + l.gutter + l.sp.nodeMinW
	}
}

// measureArcs finds the edges between columns and the room their arcs
// need above the hosts and below the buses: an arc is deeper the more
// columns it spans.
func (l *layout) measureArcs() {
	seen := map[[3]int]int{}
	for i, e := range l.g.Edges {
		ca, _ := l.g.find(e.From)
		cb, _ := l.g.find(e.To)
		if ca < 0 || cb < 0 || ca == cb {
			continue
		}
		lo, hi := min(ca, cb), max(ca, cb)
		side := 0
		if e.Above {
			side = 1
		}
		k := seen[[3]int{lo, hi, side}]
		seen[[3]int{lo, hi, side}]++
		d := arcBase + arcStep*(hi-lo-1) + arcStackDy*k
		l.arcs = append(l.arcs, arcGeom{idx: i, e: e, d: d})
		need := d*3/4 + 24
		if e.Label == "" {
			need = d*3/4 + 10
		}
		if e.Above {
			l.above = max(l.above, need)
		} else {
			l.below = max(l.below, need)
		}
	}
}

// placeRows places the column headers and every box, rank by rank.
func (l *layout) placeRows() {
	l.top = margin + l.above
	if l.g.Title != "" {
		l.top += titleH
	}
	for _, c := range l.g.Columns {
		l.headerH = max(l.headerH, 12+26+len(c.Lines)*lineLine+8)
	}
	y := l.top + l.headerH + groupHead + 10
	n := maxRank(l.g) + 1
	l.rowY, l.rowH = make([]int, n), make([]int, n)
	for r := 0; r < n; r++ {
		for _, c := range l.g.Columns {
			for _, nd := range c.Nodes {
				if nd.Rank == r {
					l.rowH[r] = max(l.rowH[r], l.nodes[nd.ID].h)
				}
			}
		}
		l.rowY[r] = y
		if l.rowH[r] > 0 {
			y += l.rowH[r] + rankGap
		}
	}
	bottom := y - rankGap + l.sp.colPad + groupPad
	if n == 0 || l.rowH[n-1] == 0 && y == l.top+l.headerH+groupHead+10 {
		bottom = l.top + l.headerH
	}
	for i, c := range l.g.Columns {
		l.cols[i].y, l.cols[i].h = l.top, bottom-l.top
		for r := 0; r < n; r++ {
			x := l.cols[i].x + (l.cols[i].w-l.rowWidth(c, r))/2
			for _, nd := range c.Nodes {
				if nd.Rank != r {
					continue
				}
				b := l.nodes[nd.ID]
				b.x, b.y = x, l.rowY[r]+(l.rowH[r]-b.h)/2
				l.nodes[nd.ID] = b
				x += b.w + l.sp.slotGap
			}
		}
	}
	l.height = bottom
}

// placeBuses puts the buses below the hosts, each with room for its name
// (in the gutter) and its notes (under the line).
func (l *layout) placeBuses() {
	if len(l.cols) > 0 {
		l.busX0, l.busX1 = l.cols[0].x-8, l.cols[len(l.cols)-1].x+l.cols[len(l.cols)-1].w+8
	}
	y := l.height + busGap
	for _, b := range l.g.Buses {
		l.busY[b.ID] = y
		var notes []string
		for _, n := range b.Notes {
			notes = append(notes, wrap(n, l.busX1-l.busX0, fontNote)...)
		}
		l.busNotes[b.ID] = notes
		y += max(len(b.Lines)*lineLine+14, 12+len(notes)*noteLine) + busGap
	}
	if len(l.g.Buses) > 0 {
		l.height = y - busGap + 12
	}
}

// anchor is where an edge meets a box or a column (a host: its frame):
// its x, and its top and bottom.
func (l *layout) anchor(id string) (x, top, bottom int) {
	ci, n := l.g.find(id)
	if n != nil {
		b := l.nodes[n.ID]
		return b.cx(), b.y, b.bottom()
	}
	c := l.cols[ci]
	return c.cx(), c.y, c.bottom()
}

// placeArcs fixes the arcs between columns now that everything else is
// placed: below the last bus, or above the headers. Arcs that share an
// end are spread apart there.
func (l *layout) placeArcs() {
	uses := map[string]int{}
	count := map[string]int{}
	for _, a := range l.arcs {
		count[a.e.From]++
		count[a.e.To]++
	}
	spread := func(id string) int {
		k := uses[id]
		uses[id]++
		return (2*k - (count[id] - 1)) * 4
	}
	yc := l.height + 10
	for i := range l.arcs {
		a := &l.arcs[i]
		xa, ta, ba := l.anchor(a.e.From)
		xb, tb, bb := l.anchor(a.e.To)
		a.x1, a.x2 = xa+spread(a.e.From), xb+spread(a.e.To)
		if a.e.Above {
			a.y, a.yA, a.yB, a.d = l.top-6, ta, tb, -a.d
		} else {
			a.y, a.yA, a.yB = yc, ba, bb
		}
		ly := a.y + a.d*3/4 + 15
		if a.d < 0 {
			ly = a.y + a.d*3/4 - 6
		}
		a.labelAt = [2]int{(a.x1 + a.x2) / 2, ly}
	}
	if l.below > 0 {
		l.height = yc + l.below
	}
	l.height += margin
}
