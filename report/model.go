package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/overlab/overlab/results"
)

// matrix is one network's probes arranged as rows (from) and columns (to).
// Columns are hosts first, then targets that are not hosts (underlay
// addresses, names), in the order they first appear.
type matrix struct {
	Network results.Network
	Rows    []string
	Hosts   []string
	Targets []string
	cells   map[[2]string]*cell
	Probes  []results.Probe
}

// Columns are the hosts followed by the other targets.
func (m *matrix) Columns() []string {
	return append(append([]string(nil), m.Hosts...), m.Targets...)
}

// Cell returns the cell for from → to; an empty one when nothing was probed.
func (m *matrix) Cell(from, to string) *cell {
	if c, ok := m.cells[[2]string{from, to}]; ok {
		return c
	}
	return &cell{Network: m.Network.Name, From: from, To: to}
}

// Summary counts the network's probes.
func (m *matrix) Summary() results.Summary { return summarize(m.Probes) }

// cell aggregates every probe of one (network, from, to).
type cell struct {
	Network, From, To string
	Probes            []results.Probe
}

func (c *cell) Empty() bool { return len(c.Probes) == 0 }

// OK is true only when every probe behaved as expected.
func (c *cell) OK() bool {
	for _, p := range c.Probes {
		if !p.OK {
			return false
		}
	}
	return len(c.Probes) > 0
}

// ExpectUnreachable is true when the cell only holds probes expected to fail
// (a rule the lab teaches, such as macvlan's own host).
func (c *cell) ExpectUnreachable() bool {
	for _, p := range c.Probes {
		if p.Expect != results.ExpectUnreachable {
			return false
		}
	}
	return len(c.Probes) > 0
}

// FailedKinds lists the kinds of the probes not as expected, in probe order.
func (c *cell) FailedKinds() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range c.Probes {
		if !p.OK && !seen[p.Kind] {
			seen[p.Kind] = true
			out = append(out, p.Kind)
		}
	}
	return out
}

// AllFailed is true when no probe of the cell behaved as expected.
func (c *cell) AllFailed() bool {
	for _, p := range c.Probes {
		if p.OK {
			return false
		}
	}
	return len(c.Probes) > 0
}

// RTT is the ICMP round trip when there is one, else the slowest round trip
// of the reachable probes; ok is false when no probe measured one.
func (c *cell) RTT() (ms float64, ok bool) {
	for _, p := range c.Probes {
		if p.Kind == results.KindICMP && p.Reachable && p.RTTMS > 0 {
			return p.RTTMS, true
		}
	}
	for _, p := range c.Probes {
		if p.Reachable && p.RTTMS > ms {
			ms, ok = p.RTTMS, true
		}
	}
	return ms, ok
}

// Cause says why the cell failed: each failed kind with its error.
func (c *cell) Cause() string {
	var parts []string
	for _, p := range c.Probes {
		if !p.OK {
			parts = append(parts, p.Kind+": "+probeError(p))
		}
	}
	return strings.Join(parts, "; ")
}

// Notes are the distinct notes of the cell's probes.
func (c *cell) Notes() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range c.Probes {
		if p.Note != "" && !seen[p.Note] {
			seen[p.Note] = true
			out = append(out, p.Note)
		}
	}
	return out
}

// probeError is the probe's error, or what was observed when the probe
// carries none (a reachable target that was expected unreachable).
func probeError(p results.Probe) string {
	if p.Error != "" {
		return p.Error
	}
	if p.OK {
		return ""
	}
	if p.Reachable {
		return "reachable, expected " + p.Expect
	}
	return "unreachable, expected " + p.Expect
}

// matrices builds one matrix per network and address family: the
// document's networks in order (each one's IPv6 matrix after its IPv4
// one), then networks that only appear in probes.
func matrices(d *results.Document) []*matrix {
	var out []*matrix
	byName := map[string]*matrix{}
	add := func(n results.Network) *matrix {
		m := &matrix{Network: n, cells: map[[2]string]*cell{}}
		byName[n.Name] = m
		out = append(out, m)
		return m
	}
	for _, dn := range d.Networks {
		for _, n := range familyNetworks(dn) {
			if byName[n.Name] == nil {
				add(n)
			}
		}
	}
	for _, p := range d.Probes {
		m := byName[netLabel(p)]
		if m == nil {
			m = add(results.Network{Name: netLabel(p)})
		}
		m.Probes = append(m.Probes, p)
	}

	hostNames := hostOrder(d)
	for _, m := range out {
		m.layout(hostNames)
	}
	return out
}

// layout sets the matrix's rows (the lab's hosts, then any other source of
// a probe), its target columns (what a probe reached that is no row) and
// its cells.
func (m *matrix) layout(hostNames []string) {
	isHost := map[string]bool{}
	for _, h := range hostNames {
		isHost[h] = true
	}
	for _, p := range m.Probes {
		isHost[p.From] = true
	}
	rows := append([]string(nil), hostNames...)
	seen := map[string]bool{}
	for _, h := range rows {
		seen[h] = true
	}
	for _, p := range m.Probes {
		if !seen[p.From] {
			seen[p.From] = true
			rows = append(rows, p.From)
		}
	}
	m.Rows = rows
	m.Hosts = rows
	tseen := map[string]bool{}
	for _, p := range m.Probes {
		if !isHost[p.To] && !tseen[p.To] {
			tseen[p.To] = true
			m.Targets = append(m.Targets, p.To)
		}
		k := [2]string{p.From, p.To}
		c := m.cells[k]
		if c == nil {
			c = &cell{Network: m.Network.Name, From: p.From, To: p.To}
			m.cells[k] = c
		}
		c.Probes = append(c.Probes, p)
	}
}

// hostOrder is the document's hosts in order.
func hostOrder(d *results.Document) []string {
	var out []string
	for _, h := range d.Hosts {
		out = append(out, h.Name)
	}
	return out
}

// summarize counts probes; renderers use it rather than the stored summary so
// that every format agrees with the probes it shows.
func summarize(ps []results.Probe) results.Summary {
	s := results.Summary{Total: len(ps)}
	for _, p := range ps {
		if p.OK {
			s.Passed++
		} else {
			s.Failed++
		}
	}
	return s
}

// failures are the probes not as expected, in document order.
func failures(d *results.Document) []results.Probe {
	var out []results.Probe
	for _, p := range d.Probes {
		if !p.OK {
			out = append(out, p)
		}
	}
	return out
}

// noteGroup is one note and the probes it explains.
type noteGroup struct {
	Note   string
	Probes []results.Probe
}

// notes groups the probes that carry a note, by note, in first-seen order.
func notes(d *results.Document) []noteGroup {
	var out []noteGroup
	idx := map[string]int{}
	for _, p := range d.Probes {
		if p.Note == "" {
			continue
		}
		i, ok := idx[p.Note]
		if !ok {
			i = len(out)
			idx[p.Note] = i
			out = append(out, noteGroup{Note: p.Note})
		}
		out[i].Probes = append(out[i].Probes, p)
	}
	return out
}

// formatRTT prints a round trip compactly: 0.41ms, 12.3ms, 1.2s.
func formatRTT(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.1fs", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.2fms", ms)
	}
}

// formatDuration prints a run's duration in seconds.
func formatDuration(ms int64) string {
	return fmt.Sprintf("%.2fs", float64(ms)/1000)
}

// pairLabel names a probe's pair for lists: "node1 → node2".
func pairLabel(p results.Probe) string { return p.From + " → " + p.To }

// sortedFindings orders findings: errors first, then warnings, then info,
// keeping document order within a severity.
func sortedFindings(fs []results.Finding) []results.Finding {
	rank := map[string]int{results.SeverityError: 0, results.SeverityWarning: 1, results.SeverityInfo: 2}
	out := append([]results.Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		ri, ok := rank[out[i].Severity]
		if !ok {
			ri = 3
		}
		rj, ok := rank[out[j].Severity]
		if !ok {
			rj = 3
		}
		return ri < rj
	})
	return out
}
