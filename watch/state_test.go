package watch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/results"
)

func loadDoc(t *testing.T, name string) *results.Document {
	t.Helper()
	d, err := results.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var t0 = time.Date(2026, 12, 6, 3, 28, 48, 0, time.UTC)

func allUp() []HostStatus {
	return []HostStatus{{Name: "node1", Up: true}, {Name: "node2", Up: true}, {Name: "node3", Up: true}}
}

func lines(evs []results.Event) []string {
	var out []string
	for _, ev := range evs {
		if ev.Type == results.EventHost {
			out = append(out, fmt.Sprintf("host %s %s→%s", ev.Host, ev.Was, ev.Now))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s→%s %s %s→%s", ev.Network, ev.From, ev.To, ev.Kind, ev.Was, ev.Now))
	}
	return out
}

// A fault is 12 transitions with the diagnosis of that moment; the heal
// is the same 12 back, without one; a steady round is none.
func TestTransitionsOfAFaultAndItsHeal(t *testing.T) {
	s := NewState("lab swarm", 3*time.Second, allUp())
	if evs := s.Record(RoundResult{At: t0, Doc: loadDoc(t, "pass"), Hosts: allUp()}); len(evs) != 0 {
		t.Fatalf("first round: %v", lines(evs))
	}
	if evs := s.Record(RoundResult{At: t0.Add(3 * time.Second), Doc: loadDoc(t, "pass"), Hosts: allUp()}); len(evs) != 0 {
		t.Fatalf("steady round: %v", lines(evs))
	}
	evs := s.Record(RoundResult{At: t0.Add(6 * time.Second), Doc: loadDoc(t, "vxlan-blocked"), Hosts: allUp()})
	if len(evs) != 12 {
		t.Fatalf("fault: %d transitions: %v", len(evs), lines(evs))
	}
	for _, ev := range evs {
		if ev.Was != results.OutcomeOK || ev.Now != results.OutcomeFailed || ev.Round != 3 || ev.Cause == "" {
			t.Errorf("fault transition %+v", ev)
		}
		if len(ev.Diagnoses) != 1 || ev.Diagnoses[0].Pattern != "vxlan-blocked" {
			t.Errorf("%s→%s %s: diagnoses %+v", ev.From, ev.To, ev.Kind, ev.Diagnoses)
		}
		if !strings.Contains(ev.From+ev.To, "node3") {
			t.Errorf("a pair without node3 changed: %+v", ev)
		}
	}
	evs = s.Record(RoundResult{At: t0.Add(9 * time.Second), Doc: loadDoc(t, "pass"), Hosts: allUp()})
	if len(evs) != 12 {
		t.Fatalf("heal: %v", lines(evs))
	}
	for _, ev := range evs {
		if ev.Now != results.OutcomeOK || ev.Cause != "" || len(ev.Diagnoses) != 0 {
			t.Errorf("heal transition %+v", ev)
		}
	}
	snap, _ := s.Current()
	if snap.Round != 4 || snap.Probed != 4 || len(snap.Events) != 24 {
		t.Errorf("snapshot: round %d, probed %d, %d events", snap.Round, snap.Probed, len(snap.Events))
	}
}

// A host lost keeps its pairs, failed with the host's cause, even when
// the round no longer finds its probe; they come back with it.
func TestHostLostKeepsItsPairsFailedWithTheCause(t *testing.T) {
	s := NewState("lab swarm", 3*time.Second, allUp())
	s.Record(RoundResult{At: t0, Doc: loadDoc(t, "pass"), Hosts: allUp()})
	down := allUp()
	down[2] = HostStatus{Name: "node3", Cause: "engine: no answer within 5s"}
	without := loadDoc(t, "pass")
	without.Probes = slices.DeleteFunc(without.Probes, func(p results.Probe) bool { return hostOf(p.From) == "node3" || hostOf(p.To) == "node3" })
	lost := results.Event{Time: t0, Type: results.EventHost, Host: "node3", Was: results.OutcomeUp, Now: results.OutcomeDown, Cause: down[2].Cause}
	evs := s.Record(RoundResult{At: t0.Add(3 * time.Second), Doc: without, Hosts: down, HostEvents: []results.Event{lost}})
	if len(evs) == 0 || evs[0].Type != results.EventHost || evs[0].Round != 2 {
		t.Fatalf("no host event first: %v", lines(evs))
	}
	snap, _ := s.Current()
	n3 := 0
	for _, p := range snap.Doc.Probes {
		if hostOf(p.From) != "node3" && hostOf(p.To) != "node3" {
			continue
		}
		n3++
		if p.OK || p.Reachable || !strings.Contains(p.Error, "node3 is down: engine: no answer within 5s") {
			t.Errorf("node3's pair kept as %+v", p)
		}
	}
	if n3 == 0 || n3 != len(evs)-1 {
		t.Errorf("%d of node3's pairs kept, %d transitions: %v", n3, len(evs)-1, lines(evs))
	}
	if snap.Doc.Summary.Failed != n3 {
		t.Errorf("summary %+v, want %d failed", snap.Doc.Summary, n3)
	}
	evs = s.Record(RoundResult{At: t0.Add(6 * time.Second), Doc: loadDoc(t, "pass"), Hosts: allUp()})
	if len(evs) != n3 {
		t.Errorf("back: %v", lines(evs))
	}
}

// A round that could not probe at all keeps every pair, failed with the
// round's error; a pair that is simply gone is said once and forgotten.
func TestRoundErrorAndGonePairs(t *testing.T) {
	s := NewState("lab swarm", time.Second, allUp())
	s.Record(RoundResult{At: t0, Doc: loadDoc(t, "pass"), Hosts: allUp()})
	noSwarm := errors.New("no swarm: no reachable manager")
	evs := s.Record(RoundResult{At: t0.Add(time.Second), Doc: &results.Document{SchemaVersion: 1}, Err: noSwarm, Hosts: allUp()})
	if len(evs) != 51 {
		t.Fatalf("%d transitions after a round that could not probe", len(evs))
	}
	snap, _ := s.Current()
	if snap.Err == "" || snap.Probed != 1 || !strings.Contains(snap.Doc.Probes[0].Error, "not probed this round: no swarm") {
		t.Errorf("snapshot %q probed %d, first probe %+v", snap.Err, snap.Probed, snap.Doc.Probes[0])
	}
	s.Record(RoundResult{At: t0.Add(2 * time.Second), Doc: loadDoc(t, "pass"), Hosts: allUp()})
	fewer := loadDoc(t, "pass")
	fewer.Probes = fewer.Probes[1:]
	evs = s.Record(RoundResult{At: t0.Add(3 * time.Second), Doc: fewer, Hosts: allUp()})
	if len(evs) != 1 || evs[0].Now != results.OutcomeAbsent || evs[0].Cause != "no longer probed" {
		t.Fatalf("gone: %v", lines(evs))
	}
	if evs = s.Record(RoundResult{At: t0.Add(4 * time.Second), Doc: fewer, Hosts: allUp()}); len(evs) != 0 {
		t.Errorf("a gone pair said again: %v", lines(evs))
	}
}

// The events kept in memory for the page are bounded.
func TestEventsInMemoryAreBounded(t *testing.T) {
	s := NewState("lab swarm", time.Second, allUp())
	for i := 0; i < 2*maxEvents/12+10; i++ {
		doc := "pass"
		if i%2 == 1 {
			doc = "vxlan-blocked"
		}
		s.Record(RoundResult{At: t0.Add(time.Duration(i) * time.Second), Doc: loadDoc(t, doc), Hosts: allUp()})
	}
	snap, _ := s.Current()
	if len(snap.Events) != maxEvents {
		t.Errorf("%d events kept, want %d", len(snap.Events), maxEvents)
	}
}

func TestConcerning(t *testing.T) {
	ds := []results.Diagnosis{
		{Pattern: "vxlan-blocked", Hosts: []string{"node3"}, Networks: []string{"ov"}},
		{Pattern: "mtu", Hosts: []string{"node2"}, Networks: []string{"ov"}},
		{Pattern: "all", Networks: []string{"mv"}},
	}
	for _, tc := range []struct {
		network string
		hosts   []string
		want    []string
	}{
		{"ov", []string{"node1", "node3"}, []string{"vxlan-blocked"}},
		{"mv", []string{"node1", "node3"}, []string{"all"}},
		{"", []string{"node2"}, []string{"mtu"}},
		{"other", []string{"node3"}, nil},
	} {
		var got []string
		for _, d := range concerning(ds, tc.network, tc.hosts...) {
			got = append(got, d.Pattern)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("concerning(%s, %v) = %v, want %v", tc.network, tc.hosts, got, tc.want)
		}
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{"node2": "node2", "probe@node2": "node2", "api@node3": "node3", "api VIP": "api VIP"} {
		if got := hostOf(in); got != want {
			t.Errorf("hostOf(%q) = %q", in, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := backoffFor(15 * time.Second)
	var got []time.Duration
	for i := 0; i < 6; i++ {
		got = append(got, b.delay(i))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("delays %v, want %v", got, want)
	}
	if d := backoffFor(time.Hour).delay(20); d != time.Minute {
		t.Errorf("capped at %v", d)
	}
}

// A peer's task that restarts with a new address is the same probe, and
// so is a probe whose source is not running (its row has no target): no
// transition, and no probe said gone and new.
func TestAContainerThatMovedIsTheSameProbe(t *testing.T) {
	s := NewState("lab swarm", time.Second, allUp())
	s.Record(RoundResult{At: t0, Doc: loadDoc(t, "pass"), Hosts: allUp()})
	moved := loadDoc(t, "pass")
	n := 0
	for i, p := range moved.Probes {
		if p.Target == "192.168.72.145" || p.Target == "10.200.0.3" {
			moved.Probes[i].Target = "10.9.9.9"
			n++
		}
		if p.From == "node1" {
			moved.Probes[i].Target = "" // not planned: node1's probe is not running
		}
	}
	if n == 0 {
		t.Fatal("the fixture has no probe to node2's or node3's container")
	}
	if evs := s.Record(RoundResult{At: t0.Add(time.Second), Doc: moved, Hosts: allUp()}); len(evs) != 0 {
		t.Errorf("%d probes moved: %v", n, lines(evs))
	}
}

// A host back carries no diagnosis: the one of its loss is over.
func TestHostBackCarriesNoDiagnosis(t *testing.T) {
	s := NewState("lab swarm", time.Second, allUp())
	s.Record(RoundResult{At: t0, Doc: loadDoc(t, "pass"), Hosts: allUp()})
	doc := loadDoc(t, "vxlan-blocked") // its diagnosis names node3
	back := results.Event{Time: t0, Type: results.EventHost, Host: "node3", Was: results.OutcomeDown, Now: results.OutcomeUp}
	lost := results.Event{Time: t0, Type: results.EventHost, Host: "node3", Was: results.OutcomeUp, Now: results.OutcomeDown, Cause: "SSH: no answer within 5s"}
	evs := s.Record(RoundResult{At: t0.Add(time.Second), Doc: doc, Hosts: allUp(), HostEvents: []results.Event{lost, back}})
	if len(evs[0].Diagnoses) != 1 || len(evs[1].Diagnoses) != 0 {
		t.Errorf("lost: %d diagnoses, back: %d", len(evs[0].Diagnoses), len(evs[1].Diagnoses))
	}
}
