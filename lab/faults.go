package lab

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/diagnose"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/feature"
)

// A fault lab breaks the network on purpose: after up, its faults are made
// on their hosts (package fault, as `overlab fault` makes them), the check
// runs, and the faults are healed. Its rows marked under_faults say what the
// probes of its other rows do while the faults are on; its
// expect_diagnoses say which diagnoses the check must make of them.

// Fault is one fault of a lab: exactly one of block, cut, mtu, delay, loss.
type Fault struct {
	// Host is a host reference: a name or $N.
	Host string `yaml:"host" json:"host"`
	// Block drops what comes in to PORT/PROTO on the host's lab interface
	// (4789/udp, 7946/tcp+udp), from every peer or only From.
	Block string `yaml:"block,omitempty" json:"block,omitempty"`
	From  string `yaml:"from,omitempty" json:"from,omitempty"`
	// Cut cuts the host's lab link: the link goes down, or, where overlab's
	// SSH comes in over it, everything on it but that SSH is dropped.
	Cut bool `yaml:"cut,omitempty" json:"cut,omitempty"`
	// MTU sets the MTU of the host's lab interface.
	MTU int `yaml:"mtu,omitempty" json:"mtu,omitempty"`
	// Delay (a duration, 100ms) and Loss (a percentage) need tc netem.
	Delay string  `yaml:"delay,omitempty" json:"delay,omitempty"`
	Loss  float64 `yaml:"loss,omitempty" json:"loss,omitempty"`
	// Wait lets the fault take effect before the probes (a duration, 20s):
	// what gossip learns takes seconds to be forgotten.
	Wait string `yaml:"wait,omitempty" json:"wait,omitempty"`
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
}

// ExpectDiagnosis is a diagnosis the check of a fault lab must make.
type ExpectDiagnosis struct {
	// Pattern is one of diagnose's patterns (vxlan-blocked, mtu, ...).
	Pattern string `yaml:"pattern" json:"pattern"`
	// Hosts are the hosts the diagnosis names, exactly (references).
	Hosts []string `yaml:"hosts" json:"hosts"`
	// Says is a text the diagnosis's cause contains; $N is host N's name.
	Says string `yaml:"says,omitempty" json:"says,omitempty"`
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
}

// UnmarshalYAML decodes a fault strictly: a custom type loses the decoder's
// own strictness.
func (f *Fault) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "a fault", "host", "block", "from", "cut", "mtu", "delay", "loss", "wait", "note"); err != nil {
		return err
	}
	type plain Fault
	return n.Decode((*plain)(f))
}

// UnmarshalYAML decodes an expected diagnosis strictly.
func (d *ExpectDiagnosis) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "an expected diagnosis", "pattern", "hosts", "says", "note"); err != nil {
		return err
	}
	type plain ExpectDiagnosis
	return n.Decode((*plain)(d))
}

// MaxFaultWait bounds a fault's wait: a lab is a lesson, not a soak test.
const MaxFaultWait = 5 * time.Minute

// kinds lists what the fault sets, by its field names.
func (f *Fault) kinds() []string {
	var out []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"block", f.Block != ""}, {"cut", f.Cut}, {"mtu", f.MTU != 0}, {"delay", f.Delay != ""}, {"loss", f.Loss != 0}} {
		if k.set {
			out = append(out, k.name)
		}
	}
	return out
}

// spec is the fault as package fault makes it, without the addresses of
// hosts (From is resolved on the inventory).
func (f *Fault) spec() (fault.Spec, error) {
	var s fault.Spec
	var err error
	switch k := f.kinds(); {
	case len(k) != 1:
		return s, fmt.Errorf("set exactly one of block, cut, mtu, delay, loss (got %s)", orNone(k))
	case f.Block != "":
		s.Kind = fault.Block
		s.Port, s.Protos, err = fault.ParsePort(f.Block)
	case f.Cut:
		s.Kind, s.AutoSpare = fault.Cut, true
	case f.MTU != 0:
		s.Kind, s.MTU = fault.MTU, f.MTU
	case f.Delay != "":
		var d time.Duration
		if d, err = time.ParseDuration(f.Delay); err != nil {
			return s, fmt.Errorf("delay %q: want a duration like 100ms", f.Delay)
		}
		s.Kind, s.DelayMS = fault.Delay, int(d.Milliseconds())
	default:
		s.Kind, s.LossPct = fault.Loss, f.Loss
	}
	if err == nil {
		err = s.Validate()
	}
	return s, err
}

func orNone(k []string) string {
	if len(k) == 0 {
		return "none"
	}
	return strings.Join(k, " and ")
}

// wait is the fault's wait (0 when none).
func (f *Fault) wait() (time.Duration, error) {
	if f.Wait == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(f.Wait)
	if err != nil || d <= 0 || d > MaxFaultWait {
		return 0, fmt.Errorf("%q: want a duration from 1s to %v, like 20s", f.Wait, MaxFaultWait)
	}
	return d, nil
}

func (l *Lab) validateFaults(ps *problems) {
	for i := range l.Faults {
		f := &l.Faults[i]
		at := func(field string) string { return fmt.Sprintf("faults[%d].%s", i, field) }
		it := fmt.Sprintf("fault #%d", i+1)
		switch msg := checkHostRef(f.Host); {
		case f.Host == "":
			ps.add(at("host"), it, "host", "required: the host to break ($N or a name)")
		case msg != "":
			ps.add(at("host"), it, "host", "%s", msg)
		}
		switch k := f.kinds(); {
		case len(k) != 1:
			ps.add(fmt.Sprintf("faults[%d]", i), it, "", "set exactly one of block, cut, mtu, delay, loss (got %s)", orNone(k))
		default:
			if _, err := f.spec(); err != nil {
				ps.add(at(k[0]), it, k[0], "%v", err)
			}
		}
		if f.From != "" {
			if f.Block == "" {
				ps.add(at("from"), it, "from", "only a block fault drops what comes from one host")
			} else if msg := checkHostRef(f.From); msg != "" {
				ps.add(at("from"), it, "from", "%s", msg)
			}
		}
		if _, err := f.wait(); err != nil {
			ps.add(at("wait"), it, "wait", "%v", err)
		}
		if (f.Delay != "" || f.Loss != 0) && !slices.Contains(l.Requires, feature.NetEm) {
			ps.add(fmt.Sprintf("faults[%d]", i), it, "", "delay and loss need tc netem in the hosts' kernels: add requires: [netem], so that hosts without it report the lab as not runnable there instead of failing")
		}
	}
	l.validateUnderFaults(ps)
	l.validateExpectDiagnoses(ps)
}

// validateUnderFaults: rows under_faults only in a lab with faults.
func (l *Lab) validateUnderFaults(ps *problems) {
	if len(l.Faults) > 0 {
		return
	}
	for i, e := range l.Expect {
		if e.UnderFaults {
			ps.add(fmt.Sprintf("expect[%d].under_faults", i), fmt.Sprintf("expect #%d", i+1), "under_faults", "the lab has no faults: add faults: or drop under_faults")
		}
	}
}

var hostToken = regexp.MustCompile(`\$[0-9]+`)

func (l *Lab) validateExpectDiagnoses(ps *problems) {
	if len(l.ExpectDiagnoses) > 0 && len(l.Faults) == 0 {
		ps.add("expect_diagnoses", "", "expect_diagnoses", "a lab without faults expects every probe as its rows say, so it makes no diagnosis: add faults: or drop expect_diagnoses")
	}
	for i, d := range l.ExpectDiagnoses {
		at := func(field string) string { return fmt.Sprintf("expect_diagnoses[%d].%s", i, field) }
		it := fmt.Sprintf("expected diagnosis #%d", i+1)
		switch {
		case d.Pattern == "":
			ps.add(at("pattern"), it, "pattern", "required (one of %s)", strings.Join(diagnose.Patterns, ", "))
		case !slices.Contains(diagnose.Patterns, d.Pattern):
			ps.add(at("pattern"), it, "pattern", "unknown pattern %q (one of %s)", d.Pattern, strings.Join(diagnose.Patterns, ", "))
		}
		if !l.has(at("hosts")) {
			ps.add(at("hosts"), it, "hosts", "required: the hosts the diagnosis names ([] for none)")
		}
		for j, h := range d.Hosts {
			if msg := checkHostRef(h); msg != "" {
				ps.add(fmt.Sprintf("expect_diagnoses[%d].hosts[%d]", i, j), it, "hosts", "%s", msg)
			}
		}
		for _, tok := range hostToken.FindAllString(d.Says, -1) {
			if msg := checkHostRef(tok); msg != "" {
				ps.add(at("says"), it, "says", "%s", msg)
			}
		}
	}
}

// underFaults applies the rows under_faults to the checks of the other
// rows: a check they also make gets their expectation (and its healthy one
// is kept); they add no check of their own.
func (l *Lab) underFaults(checks []Check, ps *problems) []Check {
	type key struct {
		net, fromW, fromH, toW, toH, target, typ, kind, family string
		port                                                   int
	}
	k := func(c Check) key {
		return key{c.Network, c.FromWorkload, c.FromHost, c.ToWorkload, c.ToHost, c.Target, c.TargetType, c.Kind, c.Family, c.Port}
	}
	var base []Check
	over := map[key]Check{}
	for _, c := range checks {
		if l.Expect[c.Row-1].UnderFaults {
			over[k(c)] = c // a later row wins
		} else {
			base = append(base, c)
		}
	}
	used := map[int]bool{}
	for i, c := range base {
		o, ok := over[k(c)]
		if !ok {
			continue
		}
		used[o.Row] = true
		base[i].UnderFaults, base[i].Healthy = true, c.Reachable
		base[i].Reachable, base[i].Row, base[i].Line, base[i].Note = o.Reachable, o.Row, o.Line, o.Note
	}
	for i, e := range l.Expect {
		if e.UnderFaults && !used[i+1] {
			ps.add(fmt.Sprintf("expect[%d]", i), fmt.Sprintf("expect #%d", i+1), "under_faults",
				"changes no probe of the lab's other rows: a row under_faults says what their probes do under the faults, it makes none of its own")
		}
	}
	return base
}

// PlannedFault is a lab's fault on an inventory's host.
type PlannedFault struct {
	Host string
	Spec fault.Spec
	Wait time.Duration
	Note string
}

// PlannedDiagnosis is an expected diagnosis on an inventory's hosts.
type PlannedDiagnosis struct {
	Pattern string
	Hosts   []string // names, sorted
	Says    string   // with host names for $N
}

// PlanFaults resolves the lab's faults and expected diagnoses on hosts;
// its errors name the line of the reference that does not resolve.
func (l *Lab) PlanFaults(hosts []HostInfo) ([]PlannedFault, []PlannedDiagnosis, error) {
	ps := &problems{l: l}
	addr := map[string]string{}
	for _, h := range hosts {
		addr[h.Name] = h.Address
	}
	resolve := func(path, it, field, ref string) string {
		name, err := ResolveHost(ref, hosts)
		if err != nil {
			ps.add(path, it, field, "%v", err)
		}
		return name
	}
	var faults []PlannedFault
	for i := range l.Faults {
		f := &l.Faults[i]
		it := fmt.Sprintf("fault #%d", i+1)
		s, err := f.spec()
		wait, werr := f.wait()
		if err != nil || werr != nil {
			continue // Validate said why
		}
		p := PlannedFault{Host: resolve(fmt.Sprintf("faults[%d].host", i), it, "host", f.Host), Spec: s, Wait: wait, Note: f.Note}
		if f.From != "" {
			s.FromName = resolve(fmt.Sprintf("faults[%d].from", i), it, "from", f.From)
			s.From = addr[s.FromName]
			if s.FromName == p.Host && p.Host != "" {
				ps.add(fmt.Sprintf("faults[%d].from", i), it, "from", "%s is the host the fault is on", p.Host)
			}
			p.Spec = s
		}
		faults = append(faults, p)
	}
	var diags []PlannedDiagnosis
	for i, d := range l.ExpectDiagnoses {
		it := fmt.Sprintf("expected diagnosis #%d", i+1)
		p := PlannedDiagnosis{Pattern: d.Pattern, Hosts: []string{}}
		for j, h := range d.Hosts {
			p.Hosts = append(p.Hosts, resolve(fmt.Sprintf("expect_diagnoses[%d].hosts[%d]", i, j), it, "hosts", h))
		}
		slices.Sort(p.Hosts)
		p.Says = hostToken.ReplaceAllStringFunc(d.Says, func(tok string) string {
			return resolve(fmt.Sprintf("expect_diagnoses[%d].says", i), it, "says", tok)
		})
		diags = append(diags, p)
	}
	return faults, diags, ps.err()
}

// Wait is the longest wait of the faults: how long to let them take effect.
func Wait(fs []PlannedFault) time.Duration {
	var w time.Duration
	for _, f := range fs {
		w = max(w, f.Wait)
	}
	return w
}
