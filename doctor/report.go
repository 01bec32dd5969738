package doctor

import (
	"fmt"
	"slices"
	"strings"
)

// Check names, also what diagnoses ask for (diagnose.Doctor*).
const (
	CheckPorts    = "ports"
	CheckMTU      = "path-mtu"
	CheckFeatures = "kernel-features"
	CheckEngine   = "engine"
	CheckClock    = "clock"
	CheckLabAddr  = "lab-address"
	CheckForward  = "forward-policy"
	CheckAddrPlan = "address-space"
	CheckSSH      = "ssh"
	CheckFirewall = "firewall"
)

// Statuses of a check.
const (
	OK      = "ok"
	Problem = "problem" // ✗: something the labs need is missing or broken
	Warning = "warning" // ⚠: a limit worth knowing, not a failure
	Error   = "error"   // the check could not run
)

// Port states.
const (
	Reachable   = "reachable"
	Refused     = "refused"
	Filtered    = "filtered"
	NoRoute     = "no-route"
	InUse       = "in-use"
	Unavailable = "not-tested"
)

// Result is one check on one host or one ordered pair.
type Result struct {
	Check  string `json:"check"`
	Host   string `json:"host"`           // the host checked; the target of a pair
	From   string `json:"from,omitempty"` // the source of a pair
	Item   string `json:"item"`           // 4789/udp, vxlan, clock skew, ...
	Status string `json:"status"`
	State  string `json:"state,omitempty"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is what doctor found.
type Report struct {
	Hosts   []string `json:"hosts"`
	Results []Result `json:"results"`
	// Problems are the ✗ lines: cause and fix in one line each; Warnings
	// the ⚠ lines, limits worth knowing.
	Problems []string `json:"problems"`
	Warnings []string `json:"warnings"`
	// NotChecked are the checks that could not run, with why.
	NotChecked []string `json:"not_checked"`
	Summary    Summary  `json:"summary"`
}

// Summary counts results by status.
type Summary struct {
	OK       int `json:"ok"`
	Problems int `json:"problems"`
	Warnings int `json:"warnings"`
	Errors   int `json:"errors"`
}

// ExitCode is 0 when all is well, 1 when a problem was found, 2 when some
// check could not run and nothing else was wrong.
func (r *Report) ExitCode() int {
	switch {
	case r.Summary.Problems > 0:
		return 1
	case r.Summary.Errors > 0:
		return 2
	}
	return 0
}

func (r *Report) add(res ...Result) { r.Results = append(r.Results, res...) }

// finish sorts, counts and writes the one-line problems, pairs grouped by
// target, item and state ("node3: 4789/udp from node1, node2 filtered: ...").
func (r *Report) finish() {
	slices.SortStableFunc(r.Results, func(a, b Result) int {
		return strings.Compare(a.Check+"\x00"+a.Host+"\x00"+a.Item+"\x00"+a.From, b.Check+"\x00"+b.Host+"\x00"+b.Item+"\x00"+b.From)
	})
	r.Summary = Summary{}
	type group struct {
		key   string
		froms []string
		res   Result
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, x := range r.Results {
		switch x.Status {
		case OK:
			r.Summary.OK++
			continue
		case Warning:
			r.Summary.Warnings++
		case Error:
			r.Summary.Errors++
		case Problem:
			r.Summary.Problems++
		}
		// Pairs group by target; a host's own warnings group across hosts.
		k := strings.Join([]string{x.Status, x.Check, x.Host, x.Item, x.State, x.Fix}, "\x00")
		if x.From == "" && x.Status == Warning {
			k = strings.Join([]string{x.Status, x.Check, x.Item, x.Detail, x.Fix}, "\x00")
		} else if x.From == "" {
			k += "\x00" + x.Detail
		}
		g := byKey[k]
		if g == nil {
			g = &group{key: k, res: x}
			byKey[k] = g
			groups = append(groups, g)
		}
		if x.From != "" {
			g.froms = append(g.froms, x.From)
		} else if g.res.Host != x.Host {
			g.res.Host += ", " + x.Host
		}
	}
	r.Problems, r.Warnings, r.NotChecked = []string{}, []string{}, []string{}
	for _, g := range groups {
		switch g.res.Status {
		case Warning:
			r.Warnings = append(r.Warnings, g.res.line(g.froms))
		case Error:
			r.NotChecked = append(r.NotChecked, g.res.line(g.froms))
		default:
			r.Problems = append(r.Problems, g.res.line(g.froms))
		}
	}
}

// line is "HOST: ITEM [from A, B] DETAIL: FIX".
func (x Result) line(froms []string) string {
	s := x.Host + ": " + x.Item
	if len(froms) > 0 {
		s += " from " + strings.Join(froms, ", ")
	}
	if x.State != "" && x.State != x.Detail {
		s += " " + x.State
	}
	if x.Detail != "" && (len(froms) <= 1 || x.Status == Error) {
		s += " (" + x.Detail + ")"
	}
	if x.Fix != "" {
		s += ": " + x.Fix
	}
	return s
}

func (r *Report) String() string {
	return fmt.Sprintf("%d ok, %d problems, %d warnings, %d errors", r.Summary.OK, r.Summary.Problems, r.Summary.Warnings, r.Summary.Errors)
}
