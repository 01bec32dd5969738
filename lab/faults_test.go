package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFaultFixtures: every problem of a fault lab's fields, each with its
// file, line, item and field, all at once.
func TestFaultFixtures(t *testing.T) {
	cases := map[string][]string{
		"valid-faults.yaml": nil,
		"invalid-faults.yaml": {
			`testdata/faults/invalid-faults.yaml:7: fault #1: host: required: the host to break ($N or a name)`,
			`testdata/faults/invalid-faults.yaml:7: fault #1: block: port "4789": want PORT/PROTO, e.g. 4789/udp or 7946/tcp+udp`,
			`testdata/faults/invalid-faults.yaml:8: fault #2: host: "self" is only meaningful in an expectation's to.host`,
			`testdata/faults/invalid-faults.yaml:8: fault #2: set exactly one of block, cut, mtu, delay, loss (got cut and mtu)`,
			`testdata/faults/invalid-faults.yaml:11: fault #3: set exactly one of block, cut, mtu, delay, loss (got none)`,
			`testdata/faults/invalid-faults.yaml:12: fault #4: mtu: mtu 100: want 576-65535 bytes (IPv4 needs at least 576)`,
			`testdata/faults/invalid-faults.yaml:13: fault #5: from: only a block fault drops what comes from one host`,
			`testdata/faults/invalid-faults.yaml:14: fault #6: delay: delay "fast": want a duration like 100ms`,
			`testdata/faults/invalid-faults.yaml:15: fault #7: loss: loss 150%: want more than 0 and at most 100`,
			`testdata/faults/invalid-faults.yaml:16: fault #8: block: port "7946/sctp": protocol "sctp" is not tcp, udp or tcp+udp`,
			`testdata/faults/invalid-faults.yaml:16: fault #8: wait: "forever": want a duration from 1s to 5m0s, like 20s`,
			`testdata/faults/invalid-faults.yaml:17: fault #9: host: "$0": a positional host reference is $1, $2, ... (the inventory's hosts in order)`,
			`testdata/faults/invalid-faults.yaml:17: fault #9: from: "$x": a positional host reference is $1, $2, ... (the inventory's hosts in order)`,
			`testdata/faults/invalid-faults.yaml:22: expected diagnosis #1: pattern: unknown pattern "vxlan-down" (one of host-unreachable, host-isolated, overlay-host, vxlan-blocked, mtu, target, row, network-down, dns, macvlan-own-host, isolation-leak, unclassified)`,
			`testdata/faults/invalid-faults.yaml:23: expected diagnosis #2: hosts: required: the hosts the diagnosis names ([] for none)`,
			`testdata/faults/invalid-faults.yaml:24: expected diagnosis #2: says: "$0": a positional host reference is $1, $2, ... (the inventory's hosts in order)`,
			`testdata/faults/invalid-faults.yaml:25: expected diagnosis #3: pattern: required (one of host-unreachable, host-isolated, overlay-host, vxlan-blocked, mtu, target, row, network-down, dns, macvlan-own-host, isolation-leak, unclassified)`,
			`testdata/faults/invalid-faults.yaml:25: expected diagnosis #3: hosts: "self" is only meaningful in an expectation's to.host`,
		},
		"invalid-netem.yaml": {
			`testdata/faults/invalid-netem.yaml:7: fault #1: delay and loss need tc netem in the hosts' kernels: add requires: [netem], so that hosts without it report the lab as not runnable there instead of failing`,
		},
		"invalid-no-faults.yaml": {
			`testdata/faults/invalid-no-faults.yaml:8: expect #2: under_faults: the lab has no faults: add faults: or drop under_faults`,
			`testdata/faults/invalid-no-faults.yaml:9: expect_diagnoses: a lab without faults expects every probe as its rows say, so it makes no diagnosis: add faults: or drop expect_diagnoses`,
		},
		"invalid-unknown-field.yaml": {
			`testdata/faults/invalid-unknown-field.yaml:8: unknown field "port" in a fault`,
			`testdata/faults/invalid-unknown-field.yaml:10: unknown field "cause" in an expected diagnosis`,
		},
	}
	files, err := filepath.Glob("testdata/faults/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := cases[filepath.Base(f)]; !ok {
			t.Errorf("fixture %s has no case in the table", f)
		}
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata", "faults", file)
			l, err := Load(path)
			if want == nil {
				if err != nil {
					t.Fatalf("valid fixture: %v", err)
				}
				if _, err := Expand(l, threeHosts); err != nil {
					t.Fatalf("valid fixture does not expand: %v", err)
				}
				return
			}
			var le *Error
			if err == nil || !asError(err, &le) {
				t.Fatalf("error %v, want a *lab.Error", err)
			}
			if got := le.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestUnderFaults: the rows under_faults change the expectation of the
// probes the other rows make, keep what those expect without the faults,
// and add no probe (node3 → node3 is no probe of the lab).
func TestUnderFaults(t *testing.T) {
	l, err := Load("testdata/faults/valid-faults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks, err := Expand(l, threeHosts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range checks {
		involves3 := c.FromHost == "node3" || c.ToHost == "node3"
		want := c.Network == "ov" && involves3 && c.Kind != ProbeDNS
		if c.UnderFaults != want || (want && (c.Reachable || !c.Healthy || c.Row < 3 || c.Note == "healthy")) || (!want && !c.Reachable) {
			t.Errorf("%s: under faults %v (healthy %v, row %d, note %q), want %v", c, c.UnderFaults, c.Healthy, c.Row, c.Note, want)
		}
		if c.FromHost == c.ToHost && c.TargetType == TargetWorkload {
			t.Errorf("a row under_faults added %s", c)
		}
		n++
	}
	// ov: 6 ordered pairs × icmp, tcp, dns; mv: 6 × icmp.
	if n != 6*3+6 {
		t.Errorf("%d checks, want 24", n)
	}
	src := mustRead(t, "testdata/faults/valid-faults.yaml")
	i := strings.LastIndex(src, "kinds: [icmp, tcp]")
	src = src[:i] + "kinds: [udp]" + src[i+len("kinds: [icmp, tcp]"):]
	l, err = Parse([]byte(src), "changed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Expand(l, threeHosts)
	if err == nil || !strings.Contains(err.Error(), "changed.yaml:27: expect #4: under_faults: changes no probe of the lab's other rows") {
		t.Errorf("a row under_faults that matches nothing: %v", err)
	}
}

func TestPlanFaults(t *testing.T) {
	l, err := Load("testdata/faults/valid-faults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fs, ds, err := l.PlanFaults(threeHosts)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 4 || fs[0].Host != "node3" || fs[0].Spec.Port != 4789 || fs[1].Spec.FromName != "node1" || fs[1].Spec.From != threeHosts[0].Address ||
		fs[3].Spec.Kind != "cut" || !fs[3].Spec.AutoSpare || Wait(fs).Seconds() != 20 {
		t.Errorf("faults %+v", fs)
	}
	if len(ds) != 1 || ds[0].Says != "node3 cannot receive VXLAN (4789/udp)" || strings.Join(ds[0].Hosts, ",") != "node3" {
		t.Errorf("diagnoses %+v", ds)
	}
	_, _, err = l.PlanFaults(threeHosts[:2])
	if err == nil || !strings.Contains(err.Error(), "valid-faults.yaml:8: fault #1: host: $3: the inventory has only 2 host(s)") ||
		!strings.Contains(err.Error(), "valid-faults.yaml:36: expected diagnosis #1: says: $3: the inventory has only 2 host(s)") {
		t.Errorf("faults on 2 hosts: %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
