package graph

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// Colours: the report's Okabe-Ito blue and vermillion for passing and
// failing, and one calm fill per kind of box. Colour is never the only
// signal: a failing box, bus or edge is also dashed and marked ✗.
const (
	inkColor   = "#14202b"
	mutedColor = "#3d4b59"
	okColor    = "#0a5ea8"
	failColor  = "#c44e00"
	offColor   = "#8a97a3"
	edgeColor  = "#4d5b68"
	fontFamily = `system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif`
)

type kindStyle struct{ fill, stroke string }

var kindStyles = map[string]kindStyle{
	KindHost:      {"#ffffff", inkColor},
	KindContainer: {"#e3f0fa", okColor},
	KindIface:     {"#f3f5f7", "#7a8794"},
	KindBridge:    {"#e6f4ea", "#2e7d4f"},
	KindTunnel:    {"#fff1d6", "#a66a00"},
	KindUnderlay:  {"#e9ecf1", mutedColor},
	KindRule:      {"#f6edf7", "#7d4f86"},
	KindNote:      {"#fff7e6", "#a66a00"},
}

func stateColor(s State) string {
	switch s {
	case OK:
		return okColor
	case Fail:
		return failColor
	case Quiet:
		return offColor
	}
	return edgeColor
}

func esc(s string) string { return html.EscapeString(s) }

// WriteSVG writes g as one self-contained SVG document: inline geometry,
// presentation attributes instead of a style sheet (so that several
// pictures on one page never restyle each other), a <title> on every part
// for its tooltip, and data- attributes that tests and scripts can read.
func WriteSVG(w io.Writer, g *Graph) error {
	if err := g.Validate(); err != nil {
		return err
	}
	l := newLayout(g)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="overlab-graph" data-graph="%s" viewBox="0 0 %d %d" width="%d" height="%d" font-family="%s" role="img" aria-label="%s">`+"\n",
		esc(g.ID), l.width, l.height, l.width, l.height, esc(fontFamily), esc(g.Title))
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(g.Title))
	writeMarkers(&b, g.ID)
	if g.Title != "" {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="17" font-weight="700" fill="%s">%s</text>`+"\n", margin, margin+18, inkColor, esc(g.Title))
	}
	l.writeColumns(&b)
	l.writeBuses(&b)
	l.writeEdges(&b)
	l.writeBusText(&b)
	l.writeNodes(&b)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkers(b *strings.Builder, id string) {
	b.WriteString("<defs>")
	for _, s := range []State{Neutral, OK, Fail, Quiet} {
		fmt.Fprintf(b, `<marker id="%s-arrow-%s" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`,
			esc(id), stateName(s), stateColor(s))
	}
	b.WriteString("</defs>\n")
}

func stateName(s State) string {
	if s == Neutral {
		return "neutral"
	}
	return string(s)
}

// writeColumns draws each host's frame and header, and its namespaces.
func (l *layout) writeColumns(b *strings.Builder) {
	for i, c := range l.g.Columns {
		r := l.cols[i]
		stroke, sw, dash := "#c9d2da", "1.5", ""
		if c.State == Fail {
			stroke, sw, dash = failColor, "3", ` stroke-dasharray="9 5"`
		}
		fmt.Fprintf(b, `<g data-host="%s" data-state="%s"><title>%s</title>`, esc(c.ID), stateName(c.State), esc(tooltip(c.Label, c.Lines, c.Tooltip)))
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="12" fill="#f7f9fb" stroke="%s" stroke-width="%s"%s/>`, r.x, r.y, r.w, r.h, stroke, sw, dash)
		label := c.Label
		if c.State == Fail {
			label = "✗ " + label
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="%g" font-weight="700" fill="%s">%s</text>`, r.cx(), r.y+12+20, fontHost, stateInk(c.State), esc(fit(label, r.w-2*l.sp.colPad, fontHost)))
		for j, s := range c.Lines {
			fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="%g" fill="%s">%s</text>`, r.cx(), r.y+12+26+12+j*lineLine, fontLine, mutedColor, esc(fit(s, r.w-2*l.sp.colPad, fontLine)))
		}
		b.WriteString("</g>\n")
		for _, gr := range c.Groups {
			l.writeGroup(b, gr)
		}
	}
}

func stateInk(s State) string {
	if s == Fail {
		return failColor
	}
	return inkColor
}

func tooltip(label string, lines []string, extra string) string {
	parts := append([]string{label}, lines...)
	if extra != "" {
		parts = append(parts, extra)
	}
	return strings.Join(parts, "\n")
}

func (l *layout) writeGroup(b *strings.Builder, gr Group) {
	x0, y0, x1, y1 := 1<<30, 1<<30, 0, 0
	for _, id := range gr.Nodes {
		n := l.nodes[id]
		x0, y0, x1, y1 = min(x0, n.x), min(y0, n.y), max(x1, n.x+n.w), max(y1, n.bottom())
	}
	if x1 == 0 {
		return
	}
	x0, y0, x1, y1 = x0-groupPad, y0-groupPad-groupHead, x1+groupPad, y1+groupPad
	fmt.Fprintf(b, `<g data-group="%s"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="9" fill="none" stroke="%s" stroke-width="1.4" stroke-dasharray="6 4"/>`,
		esc(gr.ID), esc(tooltip(gr.Label, nil, gr.Tooltip)), x0, y0, x1-x0, y1-y0, mutedColor)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%g" font-weight="600" fill="%s">%s</text></g>`+"\n", x0+8, y0+13, fontSmall, mutedColor, esc(fit(gr.Label, x1-x0-16, fontSmall)))
}

// writeBuses draws each network as a thick line across the hosts.
func (l *layout) writeBuses(b *strings.Builder) {
	for _, bus := range l.g.Buses {
		y := l.busY[bus.ID]
		color, dash := okColor, ""
		switch bus.State {
		case Fail:
			color, dash = failColor, ` stroke-dasharray="14 6"`
		case Neutral:
			color = mutedColor
		case Quiet:
			color = offColor
		}
		fmt.Fprintf(b, `<g data-bus="%s" data-state="%s"><title>%s</title>`, esc(bus.ID), stateName(bus.State), esc(tooltip(bus.Label, append(append([]string(nil), bus.Lines...), bus.Notes...), bus.Tooltip)))
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="7" stroke-linecap="round"%s/></g>`+"\n", l.busX0, y, l.busX1, y, color, dash)
	}
}

// writeBusText writes each bus's name in the gutter and its notes under
// the line, over the edges that cross it.
func (l *layout) writeBusText(b *strings.Builder) {
	for _, bus := range l.g.Buses {
		y := l.busY[bus.ID]
		label := bus.Label
		if bus.State == Fail {
			label = "✗ " + label
		}
		fmt.Fprintf(b, `<g data-bus-text="%s"><title>%s</title>`, esc(bus.ID), esc(tooltip(bus.Label, bus.Lines, bus.Tooltip)))
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" font-size="%g" font-weight="700" fill="%s">%s</text>`, l.busX0-14, y+5, fontLabel, stateInk(bus.State), esc(fit(label, l.gutter, fontLabel)))
		for j, s := range bus.Lines {
			fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" font-size="%g" fill="%s">%s</text>`, l.busX0-14, y+5+(j+1)*lineLine, fontLine, mutedColor, esc(fit(s, l.gutter, fontLine)))
		}
		for j, s := range l.busNotes[bus.ID] {
			fmt.Fprintf(b, `<text class="note" x="%d" y="%d" font-size="%g" font-weight="600" fill="%s"%s>%s</text>`, l.busX0+4, y+28+j*noteLine, fontNote, stateInk(bus.State), halo, esc(s))
		}
		b.WriteString("</g>\n")
	}
}

// edgeStroke is an edge's colour, width and dashes.
func edgeStroke(e Edge) (color, width, dash string) {
	color, width = stateColor(e.State), "2"
	if e.Kind == EdgeTunnel {
		dash = ` stroke-dasharray="8 5"`
	}
	switch e.State {
	case Fail:
		width, dash = "3.2", ` stroke-dasharray="10 5"`
	case Quiet:
		dash = ` stroke-dasharray="3 4"`
	}
	return color, width, dash
}

func markers(id string, e Edge) string {
	m := ""
	if e.Arrow || e.Both {
		m += fmt.Sprintf(` marker-end="url(#%s-arrow-%s)"`, esc(id), stateName(e.State))
	}
	if e.Both {
		m += fmt.Sprintf(` marker-start="url(#%s-arrow-%s)"`, esc(id), stateName(e.State))
	}
	return m
}

// halo keeps text readable where it crosses lines.
const halo = ` stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"`

func (l *layout) writeEdges(b *strings.Builder) {
	arcs := map[int]arcGeom{}
	for _, a := range l.arcs {
		arcs[a.idx] = a
	}
	drops := l.dropOffsets()
	for i, e := range l.g.Edges {
		color, width, dash := edgeStroke(e)
		fmt.Fprintf(b, `<g data-edge="%s>%s" data-kind="%s" data-state="%s"><title>%s</title>`, esc(e.From), esc(e.To), esc(e.Kind), stateName(e.State), esc(edgeTitle(e)))
		var lx, ly int
		switch a, isArc := arcs[i]; {
		case isArc:
			fmt.Fprintf(b, `<path d="M%d,%d L%d,%d C%d,%d %d,%d %d,%d L%d,%d" fill="none" stroke="%s" stroke-width="%s"%s%s/>`,
				a.x1, a.yA, a.x1, a.y, a.x1, a.y+a.d, a.x2, a.y+a.d, a.x2, a.y, a.x2, a.yB, color, width, dash, markers(l.g.ID, e))
			lx, ly = a.labelAt[0], a.labelAt[1]
		case l.g.bus(e.To) != nil:
			x, _, bottom := l.anchor(e.From)
			x += drops[i]
			y := l.busY[e.To]
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="%s"%s/><circle cx="%d" cy="%d" r="6" fill="%s"/>`, x, bottom, x, y, color, width, dash, x, y, color)
			lx, ly = x+8, y-10
		default:
			x1, t1, b1 := l.anchor(e.From)
			x2, t2, b2 := l.anchor(e.To)
			y1, y2 := b1, t2
			if t1 > t2 {
				y1, y2 = t1, b2
			}
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="%s"%s%s/>`, x1, y1, x2, y2, color, width, dash, markers(l.g.ID, e))
			lx, ly = (x1+x2)/2+8, min(y1, y2)+14
		}
		if e.State == Fail {
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="10" fill="%s"/><text x="%d" y="%d" text-anchor="middle" font-size="14" font-weight="700" fill="#ffffff">✗</text>`, lx-18, ly-4, failColor, lx-18, ly+1)
		}
		if e.Label != "" {
			anchor := "start"
			if lx+textW(e.Label, fontSmall) > l.width-margin/2 {
				anchor, lx = "end", lx-16
				if e.State == Fail {
					lx -= 16
				}
			}
			fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" font-size="%g" font-weight="600" fill="%s"%s>%s</text>`, lx, ly, anchor, fontSmall, stateInk(e.State), halo, esc(e.Label))
		}
		b.WriteString("</g>\n")
	}
}

// dropOffsets spreads the lines from one box to several buses apart, so
// that the line to a lower bus does not hide the one to a higher bus.
func (l *layout) dropOffsets() map[int]int {
	count, k := map[string]int{}, map[string]int{}
	for _, e := range l.g.Edges {
		if l.g.bus(e.To) != nil {
			count[e.From]++
		}
	}
	out := map[int]int{}
	for i, e := range l.g.Edges {
		if l.g.bus(e.To) == nil {
			continue
		}
		out[i] = (2*k[e.From] - (count[e.From] - 1)) * 6
		k[e.From]++
	}
	return out
}

func edgeTitle(e Edge) string {
	t := e.Label
	if e.Tooltip != "" {
		if t != "" {
			t += "\n"
		}
		t += e.Tooltip
	}
	return t
}

// writeNodes draws the boxes last, over the lines that end at them.
func (l *layout) writeNodes(b *strings.Builder) {
	for _, c := range l.g.Columns {
		for _, n := range c.Nodes {
			r := l.nodes[n.ID]
			st := kindStyles[n.Kind]
			if st.fill == "" {
				st = kindStyles[KindIface]
			}
			stroke, sw, dash, opacity := st.stroke, "1.6", "", ""
			switch n.State {
			case Fail:
				stroke, sw, dash = failColor, "3", ` stroke-dasharray="8 4"`
			case Quiet:
				opacity = ` opacity="0.65"`
			}
			rx := 7
			switch n.Kind {
			case KindTunnel:
				rx = r.h / 2
			case KindUnderlay, KindBridge:
				rx = 3
			}
			text := l.nodeText[n.ID]
			fmt.Fprintf(b, `<g data-node="%s" data-kind="%s" data-state="%s" data-label="%s"%s><title>%s</title>`, esc(n.ID), esc(n.Kind), stateName(n.State), esc(n.Label), opacity, esc(tooltip(n.Label, n.Lines, n.Tooltip)))
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="%d" fill="%s" stroke="%s" stroke-width="%s"%s/>`, r.x, r.y, r.w, r.h, rx, st.fill, stroke, sw, dash)
			label := text[0]
			if n.State == Fail {
				label = fit("✗ "+n.Label, r.w-2*padX, fontLabel)
			}
			fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="%g" font-weight="600" fill="%s">%s</text>`, r.cx(), r.y+padY+14, fontLabel, stateInk(n.State), esc(label))
			for j, s := range text[1:] {
				fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="%g" fill="%s">%s</text>`, r.cx(), r.y+padY+lineLabel+12+j*lineLine, fontLine, mutedColor, esc(s))
			}
			b.WriteString("</g>\n")
		}
	}
}

// Size is the width and height WriteSVG draws g at, in user units (the
// SVG's width and height at scale 1).
func Size(g *Graph) (width, height int) {
	l := newLayout(g)
	return l.width, l.height
}
