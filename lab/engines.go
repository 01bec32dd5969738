package lab

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/engines"
)

// A lab speaks to engine generations in three places: an expectation row's
// engines (what the engines of that range do), a workload's
// placement.engines (a feature only some generations have), and a note's
// engines (what the lab says to hosts of that range). Every range is read
// by package engines; an engine whose version is unknown (a host that did
// not answer, or `lab show` without hosts) is in every range.

// Skip is an expectation row, or part of one, that the hosts' engines leave
// out: what the check says instead of probing it.
type Skip struct {
	Row    int    `json:"row"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

// String is the skip as the check's finding says it.
func (s Skip) String() string { return fmt.Sprintf("expect #%d: %s", s.Row, s.Reason) }

// EngineConditional says whether anything in the lab depends on the hosts'
// engine versions: then its probes cannot be known before they are.
func (l *Lab) EngineConditional() bool {
	for _, e := range l.Expect {
		if e.Engines != "" {
			return true
		}
	}
	for _, w := range l.Workloads {
		if w.Placement.Engines != "" {
			return true
		}
	}
	for _, n := range l.Notes {
		if n.Engines != "" {
			return true
		}
	}
	return false
}

// validateEngines checks every engine range of the lab.
func (l *Lab) validateEngines(ps *problems) {
	check := func(path, item, field, s string) {
		if s == "" && !l.has(path) {
			return
		}
		if _, err := engines.ParseRange(s); err != nil {
			ps.add(path, item, field, "%v", err)
		}
	}
	for i, e := range l.Expect {
		check(fmt.Sprintf("expect[%d].engines", i), fmt.Sprintf("expect #%d", i+1), "engines", e.Engines)
	}
	for i, w := range l.Workloads {
		check(fmt.Sprintf("workloads[%d].placement.engines", i), fmt.Sprintf("workload %q", w.Name), "placement.engines", w.Placement.Engines)
	}
}

// rangeOf is a validated range; the empty string is no condition.
func rangeOf(s string) engines.Range {
	if s == "" {
		return engines.Range{}
	}
	r, _ := engines.ParseRange(s)
	return r
}

// engineOf maps host names to their engine versions.
func engineOf(hosts []HostInfo) map[string]string {
	out := map[string]string{}
	for _, h := range hosts {
		out[h.Name] = h.Engine
	}
	return out
}

// allowed says whether a host's engine is in r (unknown engines are).
func allowed(r engines.Range, version string) bool {
	ok, _ := r.AllowsString(version)
	return ok
}

// engineExcluded says whether w's placement.engines keeps it off host.
func engineExcluded(w *Workload, host string, eng map[string]string) bool {
	return w.Placement.Engines != "" && !allowed(rangeOf(w.Placement.Engines), eng[host])
}

// absentByEngine says why w runs on no host of this inventory because of
// its placement.engines; "" when it runs somewhere or for another reason.
func absentByEngine(w *Workload, placed map[string][]string) string {
	if w == nil || w.Placement.Engines == "" || len(placed[w.Name]) > 0 {
		return ""
	}
	return fmt.Sprintf("workload %s runs on engines %s only, which no host here runs", w.Name, w.Placement.Engines)
}

// byEngine keeps the checks of row e whose hosts (the source's, and the
// target's when it has one) run engines in the row's range, and says what
// it left out: the whole row, or the probes of some hosts on an inventory
// of mixed generations.
func byEngine(e *Expectation, row, line int, checks []Check, hosts []HostInfo) ([]Check, *Skip) {
	if e.Engines == "" || len(checks) == 0 {
		return checks, nil
	}
	r, eng := rangeOf(e.Engines), engineOf(hosts)
	var kept []Check
	out := map[string]bool{}
	for _, c := range checks {
		ok := allowed(r, eng[c.FromHost])
		if !ok {
			out[c.FromHost] = true
		}
		if c.ToHost != "" && !allowed(r, eng[c.ToHost]) {
			ok = false
			out[c.ToHost] = true
		}
		if ok {
			kept = append(kept, c)
		}
	}
	if len(out) == 0 {
		return kept, nil
	}
	var off []string
	for _, h := range hosts {
		if out[h.Name] {
			off = append(off, h.Name+" "+eng[h.Name])
		}
	}
	sk := &Skip{Row: row, Line: line, Reason: fmt.Sprintf("for engines %s; not probed here: %s", e.Engines, strings.Join(off, ", "))}
	if len(kept) > 0 {
		sk.Reason = fmt.Sprintf("for engines %s; its %d probes from or to %s left out (the hosts mix engine generations)", e.Engines, len(checks)-len(kept), strings.Join(off, ", "))
	}
	return kept, sk
}

func parseEngines(s string) (engines.Range, error) { return engines.ParseRange(s) }
