package blueprint

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/engines"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/results"
)

// WithEngines gives each host's engine version by host name: the lab's
// engine-conditional rows, placements and notes are picked for them. Facts
// (WithFacts) give them too; these win. A host whose version is unknown is
// in every range.
func WithEngines(versions map[string]string) Option {
	return func(c *config) { c.engines = versions }
}

// withEngines sets each host's engine version from versions, else from
// its facts.
func withEngines(hosts []Host, versions map[string]string, facts map[string]*cluster.Facts) []Host {
	out := append([]Host(nil), hosts...)
	for i := range out {
		h := &out[i]
		if v := versions[h.Name]; v != "" {
			h.Engine = v
		} else if f := facts[h.Name]; f != nil && f.EngineVersion != "" {
			h.Engine = f.EngineVersion
		}
	}
	return out
}

// engineNeeds refuses a network on a host whose engine lacks what the
// network asks for (a gateway mode, IPv6-only): an older engine takes such
// an option without a word and makes another network than the lab's.
func (bp *Blueprint) engineNeeds() error {
	version := map[string]string{}
	for _, h := range bp.Hosts {
		version[h.Name] = h.Engine
	}
	var errs []string
	for _, n := range bp.Networks {
		if !n.Made() {
			continue
		}
		on := map[string]bool{}
		for _, c := range n.Creates {
			if c.OnManager() {
				for _, h := range bp.Hosts {
					on[h.Name] = true
				}
			} else {
				on[c.Host] = true
			}
		}
		for _, need := range n.Driver.Needs(n.Network) {
			if need.Engines.IsZero() {
				continue
			}
			var old []string
			for _, h := range bp.Hosts {
				if ok, known := need.Engines.AllowsString(version[h.Name]); on[h.Name] && known && !ok {
					old = append(old, h.Name+" ("+version[h.Name]+")")
				}
			}
			if len(old) > 0 {
				errs = append(errs, fmt.Sprintf(need.Message, n.Name, strings.Join(old, ", ")))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(errs, "\n"))
}

// EngineFindings say, as info findings of a check, what the lab says to
// these hosts' engines (its notes) and what it left out for them (rows for
// other generations, workloads no engine here runs).
func (bp *Blueprint) EngineFindings() []results.Finding {
	var out []results.Finding
	for _, n := range bp.Notes {
		msg := n.Text
		if n.Engines != "" {
			msg = fmt.Sprintf("engines %s: %s", n.Engines, n.Text)
		}
		out = append(out, results.Finding{Severity: results.SeverityInfo, Host: strings.Join(n.Hosts, ", "), Message: msg})
	}
	if len(bp.Skipped) > 0 {
		out = append(out, results.Finding{Severity: results.SeverityInfo,
			Message: fmt.Sprintf("not probed on these engines (%s), as the lab says: %s", bp.engineList(), skipText(bp.Skipped))})
	}
	return out
}

// skipText says the rows left out, those left out for one reason together:
// "expect #6, #7: workload ... ; expect #8: ...".
func skipText(skips []lab.Skip) string {
	var reasons []string
	rows := map[string][]string{}
	for _, s := range skips {
		if _, ok := rows[s.Reason]; !ok {
			reasons = append(reasons, s.Reason)
		}
		rows[s.Reason] = append(rows[s.Reason], fmt.Sprintf("#%d", s.Row))
	}
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = "expect " + strings.Join(rows[r], ", ") + ": " + r
	}
	return strings.Join(parts, "; ")
}

// engineList names the hosts' engine generations: "node1 28.5, node2 28.5".
func (bp *Blueprint) engineList() string {
	var parts []string
	for _, h := range bp.Hosts {
		if h.Engine != "" {
			parts = append(parts, h.Name+" "+engines.Generation(h.Engine))
		}
	}
	return strings.Join(parts, ", ")
}
