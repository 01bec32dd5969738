package results

import "time"

// Event types.
const (
	// EventProbe: a pair's probe of one kind changed outcome.
	EventProbe = "probe"
	// EventHost: a host was lost (SSH or its engine) or came back.
	EventHost = "host"
)

// Outcomes an Event goes from and to.
const (
	OutcomeOK     = "ok"     // the probe behaved as expected
	OutcomeFailed = "failed" // it did not, or could not run
	OutcomeAbsent = "absent" // it was not probed (new or gone)
	OutcomeUp     = "up"     // the host answers over SSH and its engine answers
	OutcomeDown   = "down"   // it does not
)

// Event is one transition that `overlab watch` saw, with the diagnosis at
// that moment: one line of its events file (JSON Lines). Field names are
// part of the public contract, like the Document's.
type Event struct {
	Time time.Time `json:"time"`
	// Round is the watch's check round that saw it (1 is the first).
	Round int    `json:"round"`
	Type  string `json:"type"`
	// Host is the host of a host event.
	Host string `json:"host,omitempty"`
	// Network, From, To, Kind and Target name the probe of a probe event,
	// as in the Document; Expect is what the lab expects of it.
	Network string `json:"network,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Target  string `json:"target,omitempty"`
	Expect  string `json:"expect,omitempty"`
	// Was and Now are the outcomes before and after (Outcome*).
	Was string `json:"was"`
	Now string `json:"now"`
	// Reachable is what the probe observed in this round.
	Reachable bool `json:"reachable"`
	// Cause says why the probe failed or the host is down.
	Cause string `json:"cause,omitempty"`
	// Diagnoses are the round's diagnoses that concern this probe's
	// network and hosts (or this host).
	Diagnoses []Diagnosis `json:"diagnoses,omitempty"`
}
