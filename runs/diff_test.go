package runs

import (
	"testing"

	"github.com/overlab/overlab/results"
)

func probe(net, from, to, kind string, ok bool) results.Probe {
	return results.Probe{Network: net, From: from, To: to, Target: to + "-ip", Kind: kind, Expect: "reachable", Reachable: ok, OK: ok}
}

func TestDiff(t *testing.T) {
	a := &results.Document{Probes: []results.Probe{
		probe("ov", "n1", "n2", "icmp", true),  // stays ok
		probe("ov", "n1", "n2", "tcp", true),   // regresses
		probe("ov", "n2", "n1", "tcp", false),  // fixed
		probe("ov", "n2", "n3", "icmp", true),  // goes missing: regressed
		probe("ov", "n3", "n2", "icmp", false), // goes missing: removed
		probe("ov", "n3", "n1", "udp", false),  // stays failing
	}}
	b := &results.Document{Probes: []results.Probe{
		probe("ov", "n1", "n2", "icmp", true),
		probe("ov", "n1", "n2", "tcp", false),
		probe("ov", "n2", "n1", "tcp", true),
		probe("ov", "n3", "n1", "udp", false),
		probe("mv", "n1", "n2", "icmp", true), // added
	}}
	r := Diff(a, b)
	keys := func(cs []Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Key.String())
		}
		return out
	}
	check := func(name string, got []Change, want ...string) {
		t.Helper()
		g := keys(got)
		if len(g) != len(want) {
			t.Errorf("%s = %q, want %q", name, g, want)
			return
		}
		for i := range g {
			if g[i] != want[i] {
				t.Errorf("%s = %q, want %q", name, g, want)
			}
		}
	}
	check("regressed", r.Regressed, "ov n1 → n2 tcp (n2-ip)", "ov n2 → n3 icmp (n3-ip)")
	check("fixed", r.Fixed, "ov n2 → n1 tcp (n1-ip)")
	check("added", r.Added, "mv n1 → n2 icmp (n2-ip)")
	check("removed", r.Removed, "ov n3 → n2 icmp (n2-ip)")
	if !r.HasRegressions() {
		t.Error("HasRegressions false")
	}
	if r.Regressed[1].After != nil || r.Regressed[1].Before == nil || !r.Regressed[1].Before.OK {
		t.Errorf("missing after: %+v", r.Regressed[1])
	}
	if got := r.Regressed[1].After.String(); got != "missing" {
		t.Errorf("a missing outcome prints %q", got)
	}

	if d := Diff(a, a); !d.Empty() || d.HasRegressions() {
		t.Errorf("a run differs from itself: %+v", d)
	}

	// Repeated observations of one key: ok only if all are.
	c := &results.Document{Probes: []results.Probe{probe("ov", "n1", "n2", "icmp", true), probe("ov", "n1", "n2", "icmp", false)}}
	one := &results.Document{Probes: []results.Probe{probe("ov", "n1", "n2", "icmp", true)}}
	if d := Diff(one, c); len(d.Regressed) != 1 {
		t.Errorf("a repeated key with one failure: %+v", d)
	}
}

func TestDiffStoredFixtures(t *testing.T) {
	r := Diff(fixture(t, "pass"), fixture(t, "cut"))
	// Every pair that involves node3 fails in cut except DNS, which still answers.
	if len(r.Regressed) != 31 || len(r.Fixed) != 0 || len(r.Added) != 0 || len(r.Removed) != 0 {
		t.Fatalf("pass→cut: %d regressed, %d fixed, %d added, %d removed", len(r.Regressed), len(r.Fixed), len(r.Added), len(r.Removed))
	}
	for _, c := range r.Regressed {
		if c.From != "node3" && c.To != "node3" && c.To != "192.168.50.13" {
			t.Errorf("regressed pair without node3: %s", c.Key)
		}
	}
	back := Diff(fixture(t, "cut"), fixture(t, "pass"))
	if len(back.Fixed) != 31 || back.HasRegressions() {
		t.Errorf("cut→pass: %d fixed, %d regressed", len(back.Fixed), len(back.Regressed))
	}
}
