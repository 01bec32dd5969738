package watch

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/overlab/overlab/results"
)

// HostStatus is one host as the watch sees it: up when its SSH connection
// and its engine answer.
type HostStatus struct {
	Name  string
	Up    bool
	Cause string // why it is down
}

// Snapshot is the watch's state after a round. It is never changed once
// published: the HTTP side reads it without locks.
type Snapshot struct {
	Target   string
	Interval time.Duration
	// Round counts the rounds so far; Probed those that ran the probes
	// (overlab_checks_total).
	Round  int
	Probed int
	// Doc is the last round's document (nil before the first), with the
	// probes that could not run this round kept as failed, with the cause;
	// ToLabels are its probes' "to" labels in the metrics, one per probe.
	Doc      *results.Document
	ToLabels []string
	Err      string // why the last round could not probe
	Checked  time.Time
	Took     time.Duration
	Hosts    []HostStatus
	// Events are the latest transitions (at most maxEvents), oldest first.
	Events []results.Event
}

// maxEvents bounds the transitions kept in memory for the page.
const maxEvents = 1000

// State is the watch's state between rounds: the last outcome of every
// probe, the transitions and the published snapshot.
type State struct {
	mu      sync.Mutex
	snap    *Snapshot
	changed chan struct{}
	last    map[probeKey]results.Probe
	labels  map[probeKey]string
	events  []results.Event
}

// NewState is the state of a watch of target before its first round.
func NewState(target string, interval time.Duration, hosts []HostStatus) *State {
	return &State{
		snap:    &Snapshot{Target: target, Interval: interval, Hosts: slices.Clone(hosts)},
		changed: make(chan struct{}),
		labels:  map[probeKey]string{},
	}
}

// Current is the latest snapshot, and a channel closed when a newer one is
// published.
func (s *State) Current() (*Snapshot, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap, s.changed
}

// RoundResult is what one round found.
type RoundResult struct {
	At   time.Time // when it ended
	Took time.Duration
	Doc  *results.Document
	Err  error // the round could not probe
	// Hosts are every host's state after the round; HostEvents the hosts
	// lost or back before it.
	Hosts      []HostStatus
	HostEvents []results.Event
}

// Record publishes a round and returns its transitions: the hosts lost or
// back, then every probe that changed outcome, each with the diagnoses of
// that moment that concern it.
func (s *State) Record(r RoundResult) []results.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := *s.snap
	next.Round++
	next.Checked, next.Took, next.Hosts, next.Err = r.At, r.Took, slices.Clone(r.Hosts), ""
	if r.Err != nil {
		next.Err = r.Err.Error()
	}
	doc, keys := completed(r.Doc, r.Err, s.last, r.Hosts, next.Target)
	if r.Err == nil {
		next.Probed++
	}
	var evs []results.Event
	for _, ev := range r.HostEvents {
		ev.Round = next.Round
		if ev.Now == results.OutcomeDown {
			ev.Diagnoses = concerning(doc.Diagnoses, "", ev.Host)
		}
		evs = append(evs, ev)
	}
	if s.last != nil {
		evs = append(evs, transitions(s.last, doc, keys, next.Round, r.At)...)
	}
	s.last = make(map[probeKey]results.Probe, len(keys))
	for i, k := range keys {
		s.last[k] = doc.Probes[i]
	}
	s.events = append(s.events, evs...)
	if n := len(s.events); n > maxEvents {
		s.events = slices.Clone(s.events[n-maxEvents:])
	}
	next.Doc, next.ToLabels, next.Events = doc, s.toLabels(doc, keys), slices.Clone(s.events)
	s.snap = &next
	close(s.changed)
	s.changed = make(chan struct{})
	return evs
}

// probeKey names one probe across rounds: its pair and kind and its rank
// among the probes of that pair and kind (a macvlan peer's container and
// its host's underlay address): the document keeps them in the lab's
// order (check.Sort is stable). Its target is not part of it: a task that
// restarts gets a new address, and a probe whose source is not running has
// none, and it is the same probe.
type probeKey struct {
	network, from, to, kind string
	rank                    int
}

// keysOf names every probe of d, in order.
func keysOf(d *results.Document) []probeKey {
	seen := map[probeKey]int{}
	out := make([]probeKey, len(d.Probes))
	for i, p := range d.Probes {
		k := probeKey{network: p.Network, from: p.From, to: p.To, kind: p.Kind}
		k.rank = seen[k]
		seen[k]++
		out[i] = k
	}
	return out
}

func (k probeKey) String() string {
	return strings.Join([]string{k.network, k.from, k.to, k.kind, fmt.Sprint(k.rank)}, "\x00")
}

// toLabels are the "to" label of each probe's metrics: the row's own, but
// among the probes of one pair and kind, the one to a host's address says
// it, "node2 (192.168.56.12)", and any other after the first its rank,
// "node2 #2". A probe keeps the label it got when first seen, so that its
// series stays the same for the life of the watch.
func (s *State) toLabels(doc *results.Document, keys []probeKey) []string {
	hostAddr := map[string]bool{}
	for _, h := range doc.Hosts {
		hostAddr[h.Address] = h.Address != ""
	}
	dup := map[probeKey]bool{}
	for _, k := range keys {
		if k.rank > 0 {
			dup[probeKey{network: k.network, from: k.from, to: k.to, kind: k.kind}] = true
		}
	}
	used := map[string]bool{}
	for _, k := range keys {
		if l, ok := s.labels[k]; ok {
			used[k.network+"\x00"+k.from+"\x00"+k.kind+"\x00"+l] = true
		}
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		l, ok := s.labels[k]
		if !ok {
			l = k.to
			if base := (probeKey{network: k.network, from: k.from, to: k.to, kind: k.kind}); dup[base] && hostAddr[doc.Probes[i].Target] {
				l += " (" + doc.Probes[i].Target + ")"
			}
			if id := k.network + "\x00" + k.from + "\x00" + k.kind + "\x00"; used[id+l] {
				l = fmt.Sprintf("%s #%d", k.to, k.rank+1)
			}
			used[k.network+"\x00"+k.from+"\x00"+k.kind+"\x00"+l] = true
			s.labels[k] = l
		}
		out[i] = l
	}
	return out
}

// completed is the round's document with what it could not probe kept,
// and the keys of its probes: after a round that could not probe at all,
// every probe of the last round as failed with the round's error;
// otherwise the last round's probes of a host that is down now, as failed
// with the host's cause. Anything else that is gone is gone (a task that
// ended, a service scaled down).
func completed(d *results.Document, err error, last map[probeKey]results.Probe, hosts []HostStatus, target string) (*results.Document, []probeKey) {
	doc := &results.Document{SchemaVersion: results.SchemaVersion, Lab: target, StartedAt: time.Now().UTC(), Hosts: []results.Host{}, Networks: []results.Network{}, Findings: []results.Finding{}}
	if d != nil {
		c := *d
		doc = &c
	}
	doc.Probes = slices.Clone(doc.Probes)
	keys := keysOf(doc)
	seen := map[probeKey]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	down := map[string]string{}
	for _, h := range hosts {
		if !h.Up {
			down[h.Name] = h.Cause
		}
	}
	none := len(doc.Probes) == 0
	var kept []probeKey
	for k := range last {
		if !seen[k] && keptCause(last[k], err, none, down) != "" {
			kept = append(kept, k)
		}
	}
	slices.SortFunc(kept, func(a, b probeKey) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range kept {
		p := last[k]
		p.Reachable, p.OK, p.RTTMS, p.Tries, p.Evidence, p.Error = false, false, 0, 0, "", keptCause(p, err, none, down)
		doc.Probes = append(doc.Probes, p)
		keys = append(keys, k)
	}
	doc.Summarize()
	return doc, keys
}

// keptCause is why a probe of the last round that this round lacks is
// kept as failed, or "" when it is simply gone.
func keptCause(p results.Probe, err error, none bool, down map[string]string) string {
	switch {
	case err != nil && none:
		return "not probed this round: " + err.Error()
	case down[hostOf(p.From)] != "":
		return hostOf(p.From) + " is down: " + down[hostOf(p.From)]
	case down[hostOf(p.To)] != "":
		return hostOf(p.To) + " is down: " + down[hostOf(p.To)]
	}
	return ""
}

// hostOf is the host of a row's endpoint: "node2", "probe@node2" and
// "api@node2" are on node2.
func hostOf(endpoint string) string {
	if i := strings.LastIndex(endpoint, "@"); i >= 0 {
		return endpoint[i+1:]
	}
	return endpoint
}

// transitions are the probes whose outcome changed since the last round,
// in the document's order, then those no longer probed.
func transitions(last map[probeKey]results.Probe, doc *results.Document, keys []probeKey, round int, at time.Time) []results.Event {
	var out []results.Event
	seen := map[probeKey]bool{}
	for i, p := range doc.Probes {
		k := keys[i]
		seen[k] = true
		was := results.OutcomeAbsent
		if lp, ok := last[k]; ok {
			was = outcome(lp)
		}
		if now := outcome(p); now != was {
			out = append(out, probeEvent(p, was, now, round, at, doc.Diagnoses))
		}
	}
	var gone []probeKey
	for k := range last {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	slices.SortFunc(gone, func(a, b probeKey) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range gone {
		p := last[k]
		ev := probeEvent(p, outcome(p), results.OutcomeAbsent, round, at, nil)
		ev.Cause, ev.Reachable = "no longer probed", false
		out = append(out, ev)
	}
	return out
}

func outcome(p results.Probe) string {
	if p.OK {
		return results.OutcomeOK
	}
	return results.OutcomeFailed
}

func probeEvent(p results.Probe, was, now string, round int, at time.Time, diags []results.Diagnosis) results.Event {
	ev := results.Event{Time: at.UTC(), Round: round, Type: results.EventProbe, Network: p.Network, From: p.From, To: p.To,
		Kind: p.Kind, Target: p.Target, Expect: p.Expect, Was: was, Now: now, Reachable: p.Reachable}
	if now == results.OutcomeFailed {
		ev.Cause = p.Error
		if ev.Cause == "" {
			ev.Cause = "unreachable, expected " + p.Expect
			if p.Reachable {
				ev.Cause = "reachable, expected " + p.Expect
			}
		}
		ev.Diagnoses = concerning(diags, p.Network, hostOf(p.From), hostOf(p.To))
	}
	return ev
}

// concerning are the diagnoses about network (any when "") that name one
// of hosts, or name no host.
func concerning(diags []results.Diagnosis, network string, hosts ...string) []results.Diagnosis {
	var out []results.Diagnosis
	for _, d := range diags {
		if network != "" && len(d.Networks) > 0 && !slices.Contains(d.Networks, network) {
			continue
		}
		hit := len(d.Hosts) == 0 && network != ""
		for _, h := range hosts {
			hit = hit || slices.Contains(d.Hosts, h)
		}
		if hit {
			out = append(out, d)
		}
	}
	return out
}
