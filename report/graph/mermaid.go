package graph

import (
	"fmt"
	"io"
	"strings"
)

// mermaidText makes s safe inside a quoted Mermaid label.
func mermaidText(label string, lines []string) string {
	r := strings.NewReplacer(`"`, "#quot;", "\n", "<br/>", "<", "#lt;", ">", "#gt;")
	parts := make([]string, 0, 1+len(lines))
	for _, s := range append([]string{label}, lines...) {
		parts = append(parts, r.Replace(s))
	}
	return `"` + strings.Join(parts, "<br/>") + `"`
}

// mermaidIDs gives every box, host and bus a Mermaid-safe id (m0, m1, ...).
type mermaidIDs map[string]string

func (m mermaidIDs) of(id string) string {
	if v, ok := m[id]; ok {
		return v
	}
	v := fmt.Sprintf("m%d", len(m))
	m[id] = v
	return v
}

// WriteMermaid writes g as a Mermaid flowchart: each host a subgraph, each
// namespace a subgraph inside it, the buses as boxes. Mermaid shows no
// tooltip without scripts, so each box's command to see it by hand is a
// %% comment beside it.
func WriteMermaid(w io.Writer, g *Graph) error {
	if err := g.Validate(); err != nil {
		return err
	}
	var b strings.Builder
	ids := mermaidIDs{}
	// The title is YAML front matter: quoted, since it holds colons.
	fmt.Fprintf(&b, "---\ntitle: %q\n---\nflowchart TB\n", strings.ReplaceAll(g.Title, "\n", " "))
	var classes []string
	for _, c := range g.Columns {
		classes = append(classes, writeMermaidColumn(&b, ids, c)...)
	}
	for _, bus := range g.Buses {
		id := ids.of(bus.ID)
		fmt.Fprintf(&b, "  %s[[%s]]\n", id, mermaidText(bus.Label, append(append([]string(nil), bus.Lines...), bus.Notes...)))
		classes = append(classes, id+" bus"+mermaidState(bus.State))
	}
	var styles []string
	for i, e := range g.Edges {
		fmt.Fprintf(&b, "  %s %s %s\n", ids.of(e.From), mermaidArrow(e), ids.of(e.To))
		switch e.State {
		case Fail:
			styles = append(styles, fmt.Sprintf("  linkStyle %d stroke:%s,stroke-width:3px,stroke-dasharray:8 4", i, failColor))
		case OK:
			styles = append(styles, fmt.Sprintf("  linkStyle %d stroke:%s,stroke-width:2px", i, okColor))
		}
	}
	b.WriteString(strings.Join(styles, "\n"))
	if len(styles) > 0 {
		b.WriteString("\n")
	}
	for _, k := range []string{KindHost, KindContainer, KindIface, KindBridge, KindTunnel, KindUnderlay, KindRule, KindNote} {
		st := kindStyles[k]
		fmt.Fprintf(&b, "  classDef %s fill:%s,stroke:%s\n", k, st.fill, st.stroke)
	}
	fmt.Fprintf(&b, "  classDef fail stroke:%s,stroke-width:3px,stroke-dasharray:6 3\n  classDef bus fill:#e3f0fa,stroke:%s,stroke-width:3px\n  classDef busfail fill:#fde9df,stroke:%s,stroke-width:3px\n", failColor, okColor, failColor)
	for _, c := range classes {
		fmt.Fprintf(&b, "  class %s\n", c)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mermaidState(s State) string {
	if s == Fail {
		return "fail"
	}
	return ""
}

// writeMermaidColumn writes a host and returns its boxes' classes.
func writeMermaidColumn(b *strings.Builder, ids mermaidIDs, c *Column) []string {
	id := ids.of(c.ID)
	var classes []string
	if c.State == Fail {
		classes = append(classes, id+" fail")
	}
	if c.Tooltip != "" {
		fmt.Fprintf(b, "  %%%% %s: %s\n", id, strings.ReplaceAll(c.Tooltip, "\n", " · "))
	}
	if len(c.Nodes) == 0 {
		fmt.Fprintf(b, "  %s(%s)\n", id, mermaidText(c.Label, c.Lines))
		return append(classes, id+" "+KindHost)
	}
	fmt.Fprintf(b, "  subgraph %s[%s]\n    direction TB\n", id, mermaidText(c.Label, c.Lines))
	inGroup := map[string]bool{}
	for _, gr := range c.Groups {
		fmt.Fprintf(b, "    subgraph %s[%s]\n", ids.of(gr.ID), mermaidText(gr.Label, nil))
		for _, nid := range gr.Nodes {
			inGroup[nid] = true
			classes = append(classes, writeMermaidNode(b, ids, c.node(nid), "      "))
		}
		b.WriteString("    end\n")
	}
	for _, n := range c.Nodes {
		if !inGroup[n.ID] {
			classes = append(classes, writeMermaidNode(b, ids, n, "    "))
		}
	}
	b.WriteString("  end\n")
	return classes
}

func writeMermaidNode(b *strings.Builder, ids mermaidIDs, n *Node, indent string) string {
	id := ids.of(n.ID)
	label := n.Label
	if n.State == Fail {
		label = "✗ " + label
	}
	open, end := "[", "]"
	switch n.Kind {
	case KindTunnel:
		open, end = "([", "])"
	case KindBridge:
		open, end = "[/", "\\]"
	}
	fmt.Fprintf(b, "%s%s%s%s%s\n", indent, id, open, mermaidText(label, n.Lines), end)
	if n.Tooltip != "" {
		fmt.Fprintf(b, "%s%%%% %s: %s\n", indent, id, strings.ReplaceAll(n.Tooltip, "\n", " · "))
	}
	if n.State == Fail {
		return id + " fail"
	}
	return id + " " + n.Kind
}

// mermaidArrow is the link between two ids, with its label.
func mermaidArrow(e Edge) string {
	line := "---"
	switch {
	case e.Kind == EdgeTunnel || e.State == Quiet:
		line = "-.-"
		if e.Arrow || e.Both {
			line = "-.->"
		}
	case e.Arrow || e.Both:
		line = "-->"
	}
	if e.Both {
		line = "<" + line
	}
	if e.Label != "" {
		label := strings.NewReplacer(`"`, "#quot;", "|", "/").Replace(e.Label)
		line += `|"` + label + `"|`
	}
	return line
}
