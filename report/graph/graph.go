package graph

import (
	"fmt"
	"io"
	"strings"
)

// State colours a box, a bus or an edge; the empty state is neutral.
type State string

// States.
const (
	Neutral State = ""
	OK      State = "ok"   // every probe through it as expected
	Fail    State = "fail" // something through it not as expected
	Quiet   State = "off"  // unreachable as the lab expects, or not used
)

// Kinds of box; each has its own colour and shape in every writer.
const (
	KindHost      = "host"      // a host's own box (the column header in SVG)
	KindContainer = "container" // a container or a task
	KindIface     = "iface"     // an interface: a veth end, a macvlan child
	KindBridge    = "bridge"    // a Linux bridge (docker0, br-..., br0)
	KindTunnel    = "tunnel"    // a VXLAN device
	KindUnderlay  = "underlay"  // the host's lab interface, a macvlan parent
	KindRule      = "rule"      // an iptables rule
	KindNote      = "note"      // a remark: a fault, a diagnosis
)

// Graph is one picture.
type Graph struct {
	// ID is unique among the pictures of one page: SVG ids start with it.
	ID    string
	Title string
	// Columns are the hosts, left to right.
	Columns []*Column
	// Buses are the networks that join the hosts, top to bottom, below
	// the hosts.
	Buses []*Bus
	Edges []Edge
	// Compact draws with less room between boxes and hosts.
	Compact bool
}

// Column is one host: a header and its boxes.
type Column struct {
	ID      string
	Label   string
	Lines   []string // under the label: address, role
	Tooltip string
	State   State
	Nodes   []*Node
	// Groups are boxes drawn around some of the column's nodes: a network
	// namespace.
	Groups []Group
}

// Group is a frame around nodes of one column.
type Group struct {
	ID, Label, Tooltip string
	Nodes              []string // node IDs
}

// Node is one box. Nodes of one column with the same Rank stand side by
// side; a higher rank is lower down.
type Node struct {
	ID      string
	Rank    int
	Kind    string
	Label   string
	Lines   []string
	Tooltip string // what it is and the command that shows it by hand
	State   State
}

// Bus is a network drawn across the hosts.
type Bus struct {
	ID      string
	Label   string
	Lines   []string
	Tooltip string
	State   State
	// Notes are said beside the bus: a diagnosis of its failures.
	Notes []string
}

// Edge kinds.
const (
	EdgeLink   = "link"   // a wire: veth pair, bridge port, attachment
	EdgeTunnel = "tunnel" // traffic carried inside another (VXLAN)
	EdgePath   = "path"   // a probe's path between hosts (failing pairs)
)

// Edge joins two boxes, a box and a bus (To is the bus's ID), or a host
// (its column's ID) and a bus or another host. An edge between two columns
// is an arc, above the hosts when Above, else below the buses.
type Edge struct {
	From, To string
	Kind     string
	Label    string
	Tooltip  string
	State    State
	// Arrow: the edge has a direction (From → To); Both: both ways.
	Arrow, Both bool
	Above       bool
}

// Format is a picture format every command that draws offers.
type Format string

// The picture formats, in the order --format lists them.
const (
	SVG     Format = "svg"
	DOT     Format = "dot"
	Mermaid Format = "mermaid"
)

// Formats are the picture formats, as --format lists them.
var Formats = []string{string(SVG), string(DOT), string(Mermaid)}

// IsFormat reports whether format is a picture format.
func IsFormat(format string) bool {
	for _, f := range Formats {
		if f == format {
			return true
		}
	}
	return false
}

// Write writes g in format.
func Write(w io.Writer, g *Graph, format string) error {
	if err := g.Validate(); err != nil {
		return err
	}
	switch Format(format) {
	case SVG:
		return WriteSVG(w, g)
	case DOT:
		return WriteDOT(w, g)
	case Mermaid:
		return WriteMermaid(w, g)
	}
	return fmt.Errorf("unknown picture format %q (want %s)", format, strings.Join(Formats, ", "))
}

// Validate reports an edge or a group that names no box: a builder's bug,
// never the user's.
func (g *Graph) Validate() error {
	ids := map[string]bool{}
	for _, c := range g.Columns {
		for _, n := range c.Nodes {
			if ids[n.ID] {
				return fmt.Errorf("graph %s: box %q twice", g.ID, n.ID)
			}
			ids[n.ID] = true
		}
		for _, gr := range c.Groups {
			for _, id := range gr.Nodes {
				if c.node(id) == nil {
					return fmt.Errorf("graph %s: group %q of %s names %q, not a box of that host", g.ID, gr.Label, c.Label, id)
				}
			}
		}
	}
	for _, c := range g.Columns {
		ids[c.ID] = true
	}
	for _, b := range g.Buses {
		ids[b.ID] = true
	}
	for _, e := range g.Edges {
		if !ids[e.From] || !ids[e.To] {
			return fmt.Errorf("graph %s: edge %s → %s names an unknown box", g.ID, e.From, e.To)
		}
	}
	return nil
}

func (c *Column) node(id string) *Node {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// bus returns the bus called id, or nil.
func (g *Graph) bus(id string) *Bus {
	for _, b := range g.Buses {
		if b.ID == id {
			return b
		}
	}
	return nil
}

// find returns the column of a box or a column ID, and the box (nil for
// the column itself); -1 for a bus.
func (g *Graph) find(id string) (int, *Node) {
	for i, c := range g.Columns {
		if c.ID == id {
			return i, nil
		}
		if n := c.node(id); n != nil {
			return i, n
		}
	}
	return -1, nil
}
