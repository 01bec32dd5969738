package runs

import (
	"fmt"

	"github.com/overlab/overlab/results"
)

// Key names one observation across runs.
type Key struct {
	Network string `json:"network"`
	From    string `json:"from"`
	To      string `json:"to"`
	Target  string `json:"target"`
	Kind    string `json:"kind"`
	// Family is "ipv6" for a probe over IPv6 (a name probed over both
	// families is two observations), empty for IPv4.
	Family string `json:"family,omitempty"`
}

func (k Key) String() string {
	kind := k.Kind
	if k.Family != "" {
		kind += "/" + k.Family
	}
	s := fmt.Sprintf("%s %s → %s %s", k.Network, k.From, k.To, kind)
	if k.Target != "" && k.Target != k.To {
		s += " (" + k.Target + ")"
	}
	return s
}

// Outcome is what one run observed for a key.
type Outcome struct {
	OK        bool   `json:"ok"`
	Reachable bool   `json:"reachable"`
	Expect    string `json:"expect"`
	Error     string `json:"error,omitempty"`
}

func (o *Outcome) String() string {
	switch {
	case o == nil:
		return "missing"
	case o.OK:
		return "ok"
	case o.Error != "":
		return "failed: " + o.Error
	default:
		return "failed"
	}
}

// Change is one key whose outcome differs; Before or After is nil when the
// key is missing from that run.
type Change struct {
	Key
	Before *Outcome `json:"before"`
	After  *Outcome `json:"after"`
}

// DiffResult sorts the changes from run A to run B:
//   - Regressed: ok in A and failing in B, or ok in A and missing from B
//     (evidence that was there is gone);
//   - Fixed: failing in A and ok in B;
//   - Added: missing from A, present in B (whatever its outcome);
//   - Removed: failing in A and missing from B (nothing passing was lost).
//
// Keys that keep their outcome are not listed.
type DiffResult struct {
	Regressed []Change `json:"regressed"`
	Fixed     []Change `json:"fixed"`
	Added     []Change `json:"added"`
	Removed   []Change `json:"removed"`
}

// HasRegressions is true when B lost anything A had passing.
func (r DiffResult) HasRegressions() bool { return len(r.Regressed) > 0 }

// Empty is true when nothing changed.
func (r DiffResult) Empty() bool {
	return len(r.Regressed)+len(r.Fixed)+len(r.Added)+len(r.Removed) == 0
}

// Diff compares two runs' probes. Several probes under one key (repeated
// observations) count as one outcome that is ok only if all of them are.
func Diff(a, b *results.Document) DiffResult {
	ak, am := outcomes(a)
	bk, bm := outcomes(b)
	var r DiffResult
	for _, k := range ak {
		before, after := am[k], bm[k]
		switch {
		case after == nil && before.OK:
			r.Regressed = append(r.Regressed, Change{k, before, nil})
		case after == nil:
			r.Removed = append(r.Removed, Change{k, before, nil})
		case before.OK && !after.OK:
			r.Regressed = append(r.Regressed, Change{k, before, after})
		case !before.OK && after.OK:
			r.Fixed = append(r.Fixed, Change{k, before, after})
		}
	}
	for _, k := range bk {
		if am[k] == nil {
			r.Added = append(r.Added, Change{k, nil, bm[k]})
		}
	}
	return r
}

// outcomes indexes a document's probes by key, keeping first-seen order.
func outcomes(d *results.Document) ([]Key, map[Key]*Outcome) {
	var keys []Key
	m := map[Key]*Outcome{}
	if d == nil {
		return keys, m
	}
	for _, p := range d.Probes {
		k := Key{Network: p.Network, From: p.From, To: p.To, Target: p.Target, Kind: p.Kind, Family: p.Family}
		o := m[k]
		if o == nil {
			m[k] = &Outcome{OK: p.OK, Reachable: p.Reachable, Expect: p.Expect, Error: p.Error}
			keys = append(keys, k)
			continue
		}
		if o.OK && !p.OK {
			*o = Outcome{OK: false, Reachable: p.Reachable, Expect: p.Expect, Error: p.Error}
		}
	}
	return keys, m
}
