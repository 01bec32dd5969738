package graph

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// dotQuote quotes s as a DOT string; newlines become DOT's \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func dotLabel(label string, lines []string) string {
	return dotQuote(strings.Join(append([]string{label}, lines...), "\n"))
}

// WriteDOT writes g for Graphviz (`dot -Tsvg`, `dot -Tpng`): each host a
// cluster, each namespace a cluster inside it, boxes of one rank on one
// level, the buses as wide boxes below, tooltips on everything.
func WriteDOT(w io.Writer, g *Graph) error {
	if err := g.Validate(); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// %s (overlab)\ndigraph %s {\n", strings.ReplaceAll(g.Title, "\n", " "), dotQuote(g.ID))
	fmt.Fprintf(&b, "  graph [label=%s, labelloc=t, fontsize=16, fontname=\"sans-serif\", rankdir=TB, newrank=true, nodesep=0.3, ranksep=0.5];\n", dotQuote(g.Title))
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\", fontsize=11];\n  edge [fontname=\"sans-serif\", fontsize=9, dir=none];\n")
	ranks := map[int][]string{}
	linked := linkedColumns(g)
	for _, c := range g.Columns {
		writeDOTColumn(&b, c, linked[c.ID])
		for _, n := range c.Nodes {
			ranks[n.Rank] = append(ranks[n.Rank], n.ID)
		}
	}
	keys := make([]int, 0, len(ranks))
	for r := range ranks {
		keys = append(keys, r)
	}
	sort.Ints(keys)
	for _, r := range keys {
		fmt.Fprintf(&b, "  { rank=same; %s }\n", dotIDs(ranks[r]))
	}
	for _, bus := range g.Buses {
		fill, color := "#e3f0fa", stateColor(bus.State)
		if bus.State == Fail {
			fill = "#fde9df"
		}
		fmt.Fprintf(&b, "  %s [label=%s, tooltip=%s, shape=box, style=\"filled,bold\", fillcolor=%s, color=%s, penwidth=3];\n",
			dotQuote(bus.ID), dotLabel(bus.Label, append(append([]string(nil), bus.Lines...), bus.Notes...)), dotQuote(tooltip(bus.Label, bus.Lines, bus.Tooltip)), dotQuote(fill), dotQuote(color))
	}
	for _, e := range g.Edges {
		b.WriteString("  " + dotEdge(e) + "\n")
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// linkedColumns are the columns an edge names: they need a box of their own.
func linkedColumns(g *Graph) map[string]bool {
	out := map[string]bool{}
	for _, e := range g.Edges {
		for _, id := range []string{e.From, e.To} {
			if ci, n := g.find(id); ci >= 0 && n == nil {
				out[id] = true
			}
		}
	}
	return out
}

func dotIDs(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = dotQuote(id)
	}
	return strings.Join(q, "; ")
}

// writeDOTColumn writes a host: a box when it holds nothing, else a
// cluster (with a box for the host itself when an edge names it).
func writeDOTColumn(b *strings.Builder, c *Column, linked bool) {
	color := "#c9d2da"
	if c.State == Fail {
		color = failColor
	}
	hostBox := fmt.Sprintf("%s [label=%s, tooltip=%s, fillcolor=\"#ffffff\", color=%s, penwidth=2, fontsize=13]",
		dotQuote(c.ID), dotLabel(c.Label, c.Lines), dotQuote(tooltip(c.Label, c.Lines, c.Tooltip)), dotQuote(color))
	if len(c.Nodes) == 0 {
		b.WriteString("  " + hostBox + ";\n")
		return
	}
	fmt.Fprintf(b, "  subgraph %s {\n    label=%s; tooltip=%s; style=rounded; color=%s;\n",
		dotQuote("cluster_"+c.ID), dotLabel(c.Label, c.Lines), dotQuote(tooltip(c.Label, c.Lines, c.Tooltip)), dotQuote(color))
	if linked {
		b.WriteString("    " + hostBox + ";\n")
	}
	inGroup := map[string]bool{}
	for _, gr := range c.Groups {
		fmt.Fprintf(b, "    subgraph %s {\n      label=%s; tooltip=%s; style=dashed; color=%s;\n", dotQuote("cluster_"+gr.ID), dotQuote(gr.Label), dotQuote(tooltip(gr.Label, nil, gr.Tooltip)), dotQuote(mutedColor))
		for _, id := range gr.Nodes {
			inGroup[id] = true
			b.WriteString("      " + dotNode(c.node(id)) + ";\n")
		}
		b.WriteString("    }\n")
	}
	for _, n := range c.Nodes {
		if !inGroup[n.ID] {
			b.WriteString("    " + dotNode(n) + ";\n")
		}
	}
	b.WriteString("  }\n")
}

func dotNode(n *Node) string {
	st := kindStyles[n.Kind]
	if st.fill == "" {
		st = kindStyles[KindIface]
	}
	style, color, width, label := "rounded,filled", st.stroke, "1.2", n.Label
	if n.State == Fail {
		style, color, width, label = "rounded,filled,dashed", failColor, "2.5", "✗ "+n.Label
	}
	return fmt.Sprintf("%s [label=%s, tooltip=%s, style=%s, fillcolor=%s, color=%s, penwidth=%s]",
		dotQuote(n.ID), dotLabel(label, n.Lines), dotQuote(tooltip(n.Label, n.Lines, n.Tooltip)), dotQuote(style), dotQuote(st.fill), dotQuote(color), width)
}

func dotEdge(e Edge) string {
	attrs := []string{"color=" + dotQuote(stateColor(e.State))}
	if e.Label != "" {
		attrs = append(attrs, "label="+dotQuote(e.Label))
	}
	if t := edgeTitle(e); t != "" {
		attrs = append(attrs, "tooltip="+dotQuote(t))
	}
	switch {
	case e.State == Fail:
		attrs = append(attrs, "style=dashed", "penwidth=2.5")
	case e.State == Quiet:
		attrs = append(attrs, "style=dotted")
	case e.Kind == EdgeTunnel:
		attrs = append(attrs, "style=dashed")
	}
	switch {
	case e.Both:
		attrs = append(attrs, "dir=both")
	case e.Arrow:
		attrs = append(attrs, "dir=forward")
	}
	if e.Kind == EdgeTunnel || e.Kind == EdgePath {
		attrs = append(attrs, "constraint=false")
	}
	return fmt.Sprintf("%s -> %s [%s];", dotQuote(e.From), dotQuote(e.To), strings.Join(attrs, ", "))
}
