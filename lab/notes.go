package lab

import (
	"fmt"
	"strings"
)

// Note is something the lab says beside its rows: why the engines of some
// generation behave as they do, say. With Engines it is said only to hosts
// whose engine is in that range.
type Note struct {
	Engines string `yaml:"engines,omitempty" json:"engines,omitempty"`
	Text    string `yaml:"text" json:"text"`
}

// SaidNote is a note for the hosts it speaks to: all of them when Hosts is
// empty.
type SaidNote struct {
	Text    string
	Engines string
	Hosts   []string
}

func (l *Lab) validateNotes(ps *problems) {
	for i, n := range l.Notes {
		it := fmt.Sprintf("note #%d", i+1)
		if strings.TrimSpace(n.Text) == "" {
			ps.add(fmt.Sprintf("notes[%d]", i), it, "text", "required: what the note says")
		}
		if n.Engines != "" || l.has(fmt.Sprintf("notes[%d].engines", i)) {
			if _, err := parseEngines(n.Engines); err != nil {
				ps.add(fmt.Sprintf("notes[%d].engines", i), it, "engines", "%v", err)
			}
		}
	}
}

// NotesFor are the lab's notes for these hosts: a note with engines goes
// to the hosts whose engine is known and in its range, and to none when
// no host's is; a note without goes to every host.
func (l *Lab) NotesFor(hosts []HostInfo) []SaidNote {
	var out []SaidNote
	for _, n := range l.Notes {
		s := SaidNote{Text: strings.TrimSpace(n.Text), Engines: n.Engines}
		if n.Engines == "" {
			out = append(out, s)
			continue
		}
		r := rangeOf(n.Engines)
		for _, h := range hosts {
			if ok, known := r.AllowsString(h.Engine); ok && known {
				s.Hosts = append(s.Hosts, h.Name)
			}
		}
		if len(s.Hosts) > 0 {
			out = append(out, s)
		}
	}
	return out
}
