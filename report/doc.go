// Package report renders a check's results.Document for people and for CI:
// a terminal matrix, JSON, YAML, JUnit XML and a self-contained HTML page.
//
// Every renderer reads the same per-network model (model.go): one cell per
// (network, from, to), a cell passing only when every probe in it behaved as
// expected. Renderers never change the document.
package report
