package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/overlab/overlab/results"
)

// EventLine is one transition of a watch on one line, for its standard
// output and its live page's timeline:
//
//	2026-11-26T19:30:12Z ✗ overlay: node1 → node3 udp: ok → failed: no answer · why: node3 cannot receive VXLAN (4789/udp)
//	2026-11-26T19:31:02Z ✓ host node3 back
func EventLine(ev results.Event) string {
	var b strings.Builder
	b.WriteString(ev.Time.UTC().Format(time.RFC3339))
	b.WriteString(" " + EventSymbol(ev) + " ")
	b.WriteString(EventText(ev))
	return b.String()
}

// EventSymbol is ✓ for a change to the expected (a host back, a probe as
// expected again), ✗ for a change away from it, · for a probe that came or
// went while behaving as expected.
func EventSymbol(ev results.Event) string {
	switch ev.Now {
	case results.OutcomeOK, results.OutcomeUp:
		return "✓"
	case results.OutcomeFailed, results.OutcomeDown:
		return "✗"
	}
	return "·"
}

// EventText is EventLine without its time and symbol.
func EventText(ev results.Event) string {
	s := eventHead(ev)
	if why := EventWhy(ev); why != "" {
		s += " · why: " + why
	}
	return s
}

// eventHead says what changed and its cause, without the diagnoses.
func eventHead(ev results.Event) string {
	var b strings.Builder
	if ev.Type == results.EventHost {
		b.WriteString("host " + ev.Host)
		if ev.Now == results.OutcomeUp {
			b.WriteString(" back")
		} else {
			b.WriteString(" lost")
		}
	} else {
		b.WriteString(ev.Network + ": " + ev.From + " → " + ev.To + " " + ev.Kind + ": " + ev.Was + " → " + ev.Now)
	}
	if ev.Cause != "" {
		b.WriteString(": " + oneLine(ev.Cause))
	}
	return b.String()
}

// EventWhy is the causes of the event's diagnoses, on one line.
func EventWhy(ev results.Event) string {
	causes := make([]string, 0, len(ev.Diagnoses))
	for _, d := range ev.Diagnoses {
		causes = append(causes, oneLine(d.Cause))
	}
	return strings.Join(causes, "; ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// RoundLine sums up a watch's round on one line: the first round's, which
// is what later lines are transitions from.
//
//	2026-11-26T19:30:12Z · round 1 of lab swarm: 51 probes, 51 as expected, 0 not
func RoundLine(at time.Time, target string, round int, d *results.Document) string {
	s := summarize(d.Probes)
	line := fmt.Sprintf("%s · round %d of %s: %d probes, %d as expected, %d not", at.UTC().Format(time.RFC3339), round, target, s.Total, s.Passed, s.Failed)
	down := 0
	for _, h := range d.Hosts {
		if h.Error != "" {
			down++
		}
	}
	if down > 0 {
		line += fmt.Sprintf("; %d of %d hosts unreachable", down, len(d.Hosts))
	}
	return line
}
