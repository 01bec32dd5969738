package diagnose

import (
	"encoding/json"
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
