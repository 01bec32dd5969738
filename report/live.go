package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/overlab/overlab/results"
)

// The live page of `overlab watch` is the HTML report's sections (the same
// templates, html.tmpl's defined blocks) with the watch's status and
// timeline around them; live.js swaps each section for the one the server
// sends after every round.
var (
	//go:embed live.tmpl
	liveTemplate string
	//go:embed live.js
	liveScript []byte

	livePage = template.Must(template.Must(htmlPage.Clone()).New("live").Parse(liveTemplate))
)

// LiveScript is the live page's script, served beside it as live.js: a
// separate file, so that the page's Content-Security-Policy can forbid
// inline scripts.
func LiveScript() []byte { return bytes.Clone(liveScript) }

// LiveStatus is what the live page shows beside the latest document.
type LiveStatus struct {
	// Target is what is watched: "lab swarm", "networks backend,front".
	Target   string
	Round    int
	Interval time.Duration
	// Checked is when the last round ended; zero before the first.
	Checked time.Time
	Took    time.Duration
	// Error says why the last round could not probe.
	Error string
	Hosts []LiveHost
	// Events are the transitions so far, oldest first.
	Events []results.Event
}

// LiveHost is one host's state in the watch.
type LiveHost struct {
	Name  string
	Up    bool
	Cause string
}

// LiveTimelineMax bounds the transitions the page lists (newest first).
const LiveTimelineMax = 200

// LiveSectionIDs are the sections LiveSections renders; the page holds
// each in the element with id "live-" + the name.
var LiveSectionIDs = []string{"status", "banner", "networks", "diagnoses", "timeline", "failures", "findings", "hosts"}

var liveSectionTemplates = map[string]string{
	"status": "live-status", "banner": "live-banner", "timeline": "live-timeline",
}

type liveView struct {
	htmlView
	Status   LiveStatus
	HasDoc   bool
	Interval string
	Checked  string
	Took     string
	Timeline []liveEvent
}

type liveEvent struct {
	When, Symbol, Class, Text, Type, Now string
	Why                                  []results.Diagnosis
}

func newLiveView(d *results.Document, st LiveStatus) liveView {
	v := liveView{Status: st, HasDoc: d != nil, Interval: st.Interval.String()}
	if d == nil {
		d = &results.Document{SchemaVersion: results.SchemaVersion}
	}
	v.htmlView = newHTMLView(d)
	if !st.Checked.IsZero() {
		v.Checked = st.Checked.UTC().Format("2006-01-02 15:04:05 UTC")
		v.Took = st.Took.Round(time.Millisecond).String()
	}
	for i := len(st.Events) - 1; i >= 0 && len(v.Timeline) < LiveTimelineMax; i-- {
		ev := st.Events[i]
		class := "other"
		switch EventSymbol(ev) {
		case "✓":
			class = "ok"
		case "✗":
			class = "failed"
		}
		v.Timeline = append(v.Timeline, liveEvent{When: ev.Time.UTC().Format("15:04:05"), Symbol: EventSymbol(ev), Class: class,
			Text: eventHead(ev), Type: ev.Type, Now: ev.Now, Why: ev.Diagnoses})
	}
	return v
}

// LivePage writes the whole live page for the latest document (nil before
// the first round) and the watch's status.
func LivePage(w io.Writer, d *results.Document, st LiveStatus) error {
	if err := livePage.ExecuteTemplate(w, "live", newLiveView(d, st)); err != nil {
		return fmt.Errorf("render live page: %w", err)
	}
	return nil
}

// LiveSections renders each of the page's sections (LiveSectionIDs) for
// the latest document and status: what the page swaps in after a round.
func LiveSections(d *results.Document, st LiveStatus) (map[string]string, error) {
	v := newLiveView(d, st)
	out := make(map[string]string, len(LiveSectionIDs))
	var buf bytes.Buffer
	for _, id := range LiveSectionIDs {
		name := id
		if t, ok := liveSectionTemplates[id]; ok {
			name = t
		}
		buf.Reset()
		if err := livePage.ExecuteTemplate(&buf, name, v); err != nil {
			return nil, fmt.Errorf("render live section %s: %w", id, err)
		}
		out[id] = buf.String()
	}
	return out, nil
}
