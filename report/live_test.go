package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/results"
)

// The live page shows the report's own matrices (the same cells and data
// attributes), the watch's hosts and its transitions, newest first; each
// section it swaps in after a round renders on its own.
func TestLivePageHasTheReportsSectionsAndTheTimeline(t *testing.T) {
	d := loadFixture(t, "cut")
	at := time.Date(2026, 11, 26, 19, 30, 12, 0, time.UTC)
	st := LiveStatus{Target: "lab swarm", Round: 7, Interval: 15 * time.Second, Checked: at, Took: 1200 * time.Millisecond,
		Hosts: []LiveHost{{Name: "node1", Up: true}, {Name: "node3", Cause: "SSH: connection refused"}},
		Events: []results.Event{
			{Time: at.Add(-time.Minute), Round: 3, Type: results.EventHost, Host: "node3", Was: results.OutcomeUp, Now: results.OutcomeDown, Cause: "SSH: connection refused"},
			{Time: at, Round: 7, Type: results.EventProbe, Network: "overlab-overlay", From: "node1", To: "node3", Kind: "udp", Was: results.OutcomeOK, Now: results.OutcomeFailed,
				Cause: "no answer", Diagnoses: []results.Diagnosis{{Cause: "node3 cannot receive VXLAN (4789/udp)", Fix: "open 4789/udp"}}},
		}}
	var page bytes.Buffer
	if err := LivePage(&page, d, st); err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	if err := HTML(&report, d); err != nil {
		t.Fatal(err)
	}
	cells := func(s string) int { return strings.Count(s, `<g class="cell"`) }
	if got, want := cells(page.String()), cells(report.String()); got != want || want == 0 {
		t.Errorf("live page has %d cells, the report %d", got, want)
	}
	for _, want := range []string{`<script src="live.js" defer></script>`, `data-host="node3" data-up="false"`, "SSH: connection refused",
		"why: node3 cannot receive VXLAN (4789/udp)", `id="live-networks"`, `data-round="7"`} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("live page lacks %q", want)
		}
	}
	if i, j := strings.Index(page.String(), "udp: ok → failed"), strings.Index(page.String(), "host node3 lost"); i < 0 || j < 0 || i > j {
		t.Errorf("timeline not newest first (%d, %d)", i, j)
	}
	if strings.Contains(page.String(), "<script>") {
		t.Error("inline script: the page's CSP forbids it")
	}
	secs, err := LiveSections(d, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range LiveSectionIDs {
		if _, ok := secs[id]; !ok {
			t.Errorf("no section %s", id)
		}
	}
	if cells(secs["networks"]) != cells(report.String()) {
		t.Errorf("networks section: %d cells", cells(secs["networks"]))
	}
	// Before the first round: a page that says it is waiting.
	page.Reset()
	if err := LivePage(&page, nil, LiveStatus{Target: "lab swarm", Interval: time.Second}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "Waiting for the first check round") {
		t.Errorf("no waiting note:\n%s", page.String())
	}
}

func TestEventLine(t *testing.T) {
	at := time.Date(2026, 11, 26, 19, 30, 12, 0, time.UTC)
	for _, tc := range []struct {
		ev   results.Event
		want string
	}{
		{results.Event{Time: at, Type: results.EventProbe, Network: "ov", From: "node1", To: "node3", Kind: "udp", Was: "ok", Now: "failed", Cause: "no\nanswer",
			Diagnoses: []results.Diagnosis{{Cause: "node3 cannot receive VXLAN (4789/udp)"}}},
			"2026-11-26T19:30:12Z ✗ ov: node1 → node3 udp: ok → failed: no answer · why: node3 cannot receive VXLAN (4789/udp)"},
		{results.Event{Time: at, Type: results.EventProbe, Network: "ov", From: "node1", To: "node3", Kind: "udp", Was: "failed", Now: "ok"},
			"2026-11-26T19:30:12Z ✓ ov: node1 → node3 udp: failed → ok"},
		{results.Event{Time: at, Type: results.EventHost, Host: "node3", Was: "up", Now: "down", Cause: "engine: no socket"},
			"2026-11-26T19:30:12Z ✗ host node3 lost: engine: no socket"},
		{results.Event{Time: at, Type: results.EventHost, Host: "node3", Was: "down", Now: "up"},
			"2026-11-26T19:30:12Z ✓ host node3 back"},
	} {
		if got := EventLine(tc.ev); got != tc.want {
			t.Errorf("EventLine:\n got %s\nwant %s", got, tc.want)
		}
	}
}
