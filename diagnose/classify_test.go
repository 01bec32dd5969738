package diagnose

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/results"
)

// TestClassifyGolden classifies recorded and derived result documents and
// compares the diagnoses with testdata/NAME.diagnoses.golden.
func TestClassifyGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			doc, err := results.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(Classify(doc), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, name+".diagnoses.golden", append(got, '\n'))
		})
	}
}

// TestClassifyPatterns pins what each document must say, independent of
// wording: the pattern, the hosts and whether it is ambiguous.
func TestClassifyPatterns(t *testing.T) {
	type want struct {
		pattern   string
		hosts     string
		ambiguous bool
	}
	cases := map[string][]want{
		"pass":                       nil,
		"vxlan-4789":                 {{VXLANBlocked, "node3", false}},
		"overlay-gossip":             {{OverlayHost, "node3", true}},
		"ambiguous-overlay-only":     {{OverlayHost, "node3", true}},
		"network-down":               {{NetworkDown, "node1,node2,node3", false}},
		"dns-everywhere":             {{DNS, "node1,node2,node3", true}},
		"mixed-mtu-and-macvlan-host": {{HostIsolated, "node3", true}, {MTU, "node1,node2", true}},
		"row":                        {{Row, "node1", false}},
		"isolation-leak":             {{IsolationLeak, "node2", false}},
		"mtu-node3":                  {{MTU, "node3", false}},
		"mtu":                        {{MTU, "node1,node2", true}},
		"cut":                        {{HostUnreachable, "node3", false}},
		// Fault labs as lab run recorded them: every probe as the lab
		// expects under its fault, so judged against what it expects
		// without (probes' healthy).
		"fault-lab-vxlan-blocked":  {{VXLANBlocked, "node3", false}},
		"fault-lab-gossip-blocked": {{OverlayHost, "node3", true}},
		"fault-lab-mtu-mismatch":   {{MTU, "node3", false}},
		"fault-lab-host-cut":       {{HostIsolated, "node3", true}},
	}
	for name, wants := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := results.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			got := Classify(doc)
			if len(got) != len(wants) {
				t.Fatalf("%d diagnoses, want %d: %+v", len(got), len(wants), got)
			}
			for i, w := range wants {
				g := got[i]
				if g.Pattern != w.pattern || strings.Join(g.Hosts, ",") != w.hosts || g.Ambiguous != w.ambiguous {
					t.Errorf("diagnosis %d: %s %v ambiguous=%v, want %s %s ambiguous=%v (%s)", i, g.Pattern, g.Hosts, g.Ambiguous, w.pattern, w.hosts, w.ambiguous, g.Cause)
				}
				if g.Cause == "" || g.Evidence == "" || g.Fix == "" {
					t.Errorf("diagnosis %d lacks cause, evidence or fix: %+v", i, g)
				}
				if g.Ambiguous && len(g.Doctor) == 0 {
					t.Errorf("ambiguous diagnosis %d names no doctor check", i)
				}
			}
		})
	}
}

// TestClassifySeveralFaults: in a big lab several things break at once; each
// host's diagnosis must not be swayed by the failures another one explains.
// h6 is down, h2 cannot pass VXLAN (names still resolve), large packets to
// h4 are lost.
func TestClassifySeveralFaults(t *testing.T) {
	const n = 6
	d := &results.Document{SchemaVersion: results.SchemaVersion, Networks: []results.Network{{Name: "ov", Driver: "overlay"}}}
	for i := 1; i <= n; i++ {
		h := results.Host{Name: fmt.Sprintf("h%d", i), Address: fmt.Sprintf("192.0.2.%d", i)}
		if i == 6 {
			h.Error = "ssh: dial tcp 192.0.2.6:22: i/o timeout"
		}
		d.Hosts = append(d.Hosts, h)
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= n; j++ {
			if i == j {
				continue
			}
			for _, k := range []string{results.KindICMP, results.KindTCP, results.KindUDP, results.KindDNS} {
				p := results.Probe{Network: "ov", From: fmt.Sprintf("h%d", i), To: fmt.Sprintf("h%d", j), Kind: k, Expect: results.ExpectReachable, Reachable: true, OK: true}
				bad := i == 6 || (j == 6 && k != results.KindDNS) ||
					((i == 2 || j == 2) && k != results.KindDNS) ||
					(j == 4 && (k == results.KindTCP || k == results.KindUDP))
				if bad {
					p.Reachable, p.OK, p.Error = false, false, "timeout"
				}
				d.Probes = append(d.Probes, p)
			}
		}
	}
	var got []string
	for _, dg := range Classify(d) {
		got = append(got, dg.Pattern+":"+strings.Join(dg.Hosts, ","))
	}
	want := []string{HostUnreachable + ":h6", VXLANBlocked + ":h2", MTU + ":h4"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("diagnoses %v, want %v", got, want)
	}
}

// A host lost by its engine (SSH answers) is said to be its engine's, not
// SSH's, with what the probes to it found.
func TestUnreachableHostSaysWhichIsGone(t *testing.T) {
	for _, tc := range []struct {
		hostErr, want, fix string
	}{
		{"ssh: dial tcp 192.168.50.13:22: i/o timeout", "node3 answers neither SSH nor any probe", "ssh to it by hand"},
		{"engine: cannot open the Docker socket /var/run/docker.sock: no socket at that path", "node3's Docker engine does not answer (its SSH does) and no probe reaches it", "check the Docker engine on node3"},
		{`node3: cannot open the Docker socket /var/run/docker.sock through SSH as "root": is dockerd running?`, "node3's Docker engine does not answer", "check the Docker engine on node3"},
	} {
		doc, err := results.ReadFile(filepath.Join("testdata", "cut.json"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range doc.Hosts {
			if doc.Hosts[i].Name == "node3" {
				doc.Hosts[i].Error = tc.hostErr
			}
		}
		got := Classify(doc)
		if len(got) != 1 || got[0].Pattern != HostUnreachable || !strings.Contains(got[0].Cause, tc.want) || !strings.Contains(got[0].Fix, tc.fix) {
			t.Errorf("%s: %+v", tc.hostErr, got)
		}
	}
}

// TestFaultLabDiagnosesWhatTheFaultBroke: a fault lab's probes are all as
// the lab expects under its fault; the diagnosis comes from what the lab
// expects without it (healthy). Without that, nothing would be diagnosed.
func TestFaultLabDiagnosesWhatTheFaultBroke(t *testing.T) {
	doc, err := results.ReadFile("testdata/fault-lab-vxlan-blocked.json")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Failed() || len(Classify(doc)) != 1 {
		t.Fatalf("failed %v, diagnoses %+v", doc.Failed(), Classify(doc))
	}
	n := 0
	for i := range doc.Probes {
		if doc.Probes[i].Healthy != "" {
			doc.Probes[i].Healthy = ""
			n++
		}
	}
	if n == 0 || len(Classify(doc)) != 0 {
		t.Errorf("%d probes had a healthy expectation; without it: %+v", n, Classify(doc))
	}
}
