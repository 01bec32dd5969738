// Package graph is overlab's one picture renderer: a small model of hosts
// side by side (each host a column of boxes, ranked top to bottom and
// grouped in namespaces), networks as buses across the hosts, and edges
// between boxes, from a box to a bus, or between hosts as arcs; and three
// writers of it: SVG (laid out here, self-contained: no script, no font,
// nothing fetched), Graphviz DOT and Mermaid.
//
// Builders of pictures (package report) fill a Graph from what they know: a
// lab's blueprint, explain's views of the Linux objects, a check's results.
// The writers never decide what is shown, only how.
package graph
