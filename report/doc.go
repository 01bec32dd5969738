// Package report is overlab's presentation, in one place: every table,
// text and page a person reads. A check's results.Document becomes a
// terminal matrix, JSON, YAML, JUnit XML and a self-contained HTML page;
// beside them are the tables of hosts, status, doctor and the inventory,
// explain's text and page, a lab's description and its walkthrough, and
// watch's live page (the HTML report's own sections, swapped in after each
// round) and its transition lines.
//
// The check renderers read the same per-network model (model.go): one cell
// per (network, from, to), a cell passing only when every probe in it
// behaved as expected. Renderers never change what they render.
package report
