package lab

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestEngineFixtures: the lab format's engine ranges, routes, notes, IPv6
// networks, gateway modes and address families, valid and not, each
// problem named with its file, line, item and field.
func TestEngineFixtures(t *testing.T) {
	cases := map[string][]string{
		"valid-engines.yaml": nil,
		"invalid-engines.yaml": {
			`testdata/engines/invalid-engines.yaml:14: expect #1: engines: ">= latest": "latest" is not an engine version (like 28.0 or 20.10.24)`,
			`testdata/engines/invalid-engines.yaml:19: expect #2: engines: empty engine range: write comparisons such as ">= 28.0" or ">= 26.0, < 28.0"`,
			`testdata/engines/invalid-engines.yaml:8: workload "a": placement.engines: "28.0": each comparison starts with >=, >, <=, <, = or != (like ">= 28.0")`,
			`testdata/engines/invalid-engines.yaml:21: note #1: engines: "> 20.10.x": write the version as plain numbers, like 20.10`,
			`testdata/engines/invalid-engines.yaml:23: note #2: text: required: what the note says`,
		},
		"invalid-routes.yaml": {
			`testdata/engines/invalid-routes.yaml:17: route #1: host: required: the host that gets the route ($N or a name)`,
			`testdata/engines/invalid-routes.yaml:17: route #1: via: required: the host the route goes through ($N or a name)`,
			`testdata/engines/invalid-routes.yaml:18: route #2: via: a route through its own host reaches nothing new: via is another host`,
			`testdata/engines/invalid-routes.yaml:19: route #3: network: unknown network "nowhere" (the lab defines: br, ov, l2, bridge)`,
			`testdata/engines/invalid-routes.yaml:20: route #4: network: "bridge" is Docker's own: docker0 is 172.17.0.0/16 on every host, so a route to another host's collides with the host's own`,
			`testdata/engines/invalid-routes.yaml:21: route #5: network: a route through a host cannot reach the containers of overlay network "ov" (routes reach bridge networks, and ipvlan in l3 or l3s mode)`,
			`testdata/engines/invalid-routes.yaml:22: route #6: network: a route through a host cannot reach the containers of ipvlan network "l2" (routes reach bridge networks, and ipvlan in l3 or l3s mode)`,
			`testdata/engines/invalid-routes.yaml:23: route #7: host: "$0": a positional host reference is $1, $2, ... (the inventory's hosts in order)`,
			`testdata/engines/invalid-routes.yaml:23: route #7: via: "self" is only meaningful in an expectation's to.host`,
			`testdata/engines/invalid-routes.yaml:25: route #9: the same route twice`,
		},
		"invalid-ipv6.yaml": {
			`testdata/engines/invalid-ipv6.yaml:5: network "mv": ipv6: overlab gives IPv6 to bridge and overlay networks only (an underlay network's IPv6 would need per-host IPv6 ranges, which the plan does not carve)`,
			`testdata/engines/invalid-ipv6.yaml:8: network "nosix": subnet_ipv6: subnet_ipv6 and gateway_ipv6 need ipv6: true`,
			`testdata/engines/invalid-ipv6.yaml:12: network "bad": subnet: fd00:9::/64 is IPv6: on a network with ipv6: true, subnet is the IPv4 one and subnet_ipv6 the IPv6 one`,
			`testdata/engines/invalid-ipv6.yaml:13: network "bad": subnet_ipv6: 10.1.0.0/24 is not an IPv6 prefix (like fd00:6f6c:6162:1::/64)`,
			`testdata/engines/invalid-ipv6.yaml:17: network "bits": subnet_ipv6: "fd00:1::1/64" has host bits set: did you mean fd00:1::/64?`,
			`testdata/engines/invalid-ipv6.yaml:21: network "ov": ipv4: only bridge networks can leave IPv4 out (Docker keeps IPv4 on swarm networks)`,
			`testdata/engines/invalid-ipv6.yaml:25: network "none4": ipv4: a network without IPv4 needs ipv6: true (it would have no address at all)`,
			`testdata/engines/invalid-ipv6.yaml:28: network "gw": gateway_mode_ipv4: "open": want nat, nat-unprotected, routed or isolated`,
			`testdata/engines/invalid-ipv6.yaml:29: network "gw": gateway_mode_ipv6: needs ipv6: true`,
			`testdata/engines/invalid-ipv6.yaml:32: network "iso": gateway_mode_ipv4: isolated needs internal: true (Docker takes it only on an internal network)`,
			`testdata/engines/invalid-ipv6.yaml:35: network "ovgw": gateway_mode_ipv4: only bridge networks have gateway modes`,
			`testdata/engines/invalid-ipv6.yaml:45: expect #1: families: network "v4" has no ipv6 (its families: ipv4)`,
			`testdata/engines/invalid-ipv6.yaml:45: expect #1: families: unknown family "ipv5" (ipv4 or ipv6)`,
			`testdata/engines/invalid-ipv6.yaml:45: expect #1: families: "ipv6" listed twice`,
			`testdata/engines/invalid-ipv6.yaml:50: expect #2: families: an underlay target is the hosts' inventory address, whose family is its own: leave families out`,
			`testdata/engines/invalid-ipv6.yaml:55: expect #3: families: the target address 10.0.0.1 is not ipv6`,
		},
		"invalid-route-field.yaml": {
			`testdata/engines/invalid-route-field.yaml:5: unknown field "gateway" in a route`,
		},
	}
	files, _ := filepath.Glob("testdata/engines/*.yaml")
	for _, f := range files {
		if _, ok := cases[filepath.Base(f)]; !ok {
			t.Errorf("fixture %s has no case in the table", f)
		}
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			l, err := Load(filepath.Join("testdata", "engines", file))
			if want == nil {
				if err != nil {
					t.Fatalf("valid fixture: %v", err)
				}
				return
			}
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("want a *lab.Error, got %v (lab %v)", err, l)
			}
			if got := le.Lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func withEngine(hosts []HostInfo, versions ...string) []HostInfo {
	out := append([]HostInfo(nil), hosts...)
	for i := range out {
		out[i].Engine = versions[i%len(versions)]
	}
	return out
}

// TestEngineRows: the rows, placements and notes for the hosts' engines,
// and what is left out said as skips.
func TestEngineRows(t *testing.T) {
	l, err := Load(filepath.Join("testdata", "engines", "valid-engines.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rows := func(cs []Check) map[int]int {
		out := map[int]int{}
		for _, c := range cs {
			out[c.Row]++
		}
		return out
	}
	t.Run("20.10", func(t *testing.T) {
		checks, skips, err := ExpandAll(l, withEngine(threeHosts, "20.10.24+dfsg1"))
		if err != nil {
			t.Fatal(err)
		}
		if got := rows(checks); got[1] != 1 || got[2] != 0 || got[3] != 0 || got[4] != 0 || got[5] != 1 {
			t.Errorf("checks per row %v: want row 1 (< 28.0) and row 5 only", got)
		}
		var reasons []string
		for _, s := range skips {
			reasons = append(reasons, s.String())
		}
		want := []string{
			"expect #2: for engines >= 28.0; not probed here: node1 20.10.24+dfsg1, node2 20.10.24+dfsg1",
			"expect #3: workload web-routed runs on engines >= 28.0 only, which no host here runs",
			"expect #4: workload only runs on engines >= 28.0 only, which no host here runs",
		}
		if strings.Join(reasons, "\n") != strings.Join(want, "\n") {
			t.Errorf("skips\n--- got\n%s\n--- want\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"))
		}
		if ns := l.NotesFor(withEngine(threeHosts, "20.10.24")); len(ns) != 1 || ns[0].Text != "Always said." {
			t.Errorf("notes for 20.10: %+v", ns)
		}
	})
	t.Run("28.5", func(t *testing.T) {
		checks, skips, err := ExpandAll(l, withEngine(threeHosts, "28.5.2+dfsg4"))
		if err != nil {
			t.Fatal(err)
		}
		got := rows(checks)
		if got[1] != 0 || got[2] != 1 || got[3] != 2 || got[4] != 12 || got[5] != 1 {
			t.Errorf("checks per row %v: want rows 2-5 (row 4: 3 hosts x 2 others x 2 kinds)", got)
		}
		if len(skips) != 1 || skips[0].Row != 1 {
			t.Errorf("skips %+v, want row 1 only", skips)
		}
		for _, c := range checks {
			if c.Row == 4 && c.Family != FamilyIPv6 || c.Row == 2 && (c.Family != FamilyIPv4 || c.Engines != ">= 28.0") {
				t.Errorf("check %s: family %s engines %q", c, c.Family, c.Engines)
			}
		}
		ns := l.NotesFor(withEngine(threeHosts, "28.5.2"))
		if len(ns) != 2 || strings.Join(ns[1].Hosts, ",") != "node1,node2,node3" {
			t.Errorf("notes for 28.5: %+v", ns)
		}
	})
	t.Run("mixed", func(t *testing.T) {
		// node1 runs 28.5, node2 20.10: row 2 (>= 28.0) probes from node2,
		// so it is out; row 1 (< 28.0) probes node2 -> node1, out too.
		checks, skips, err := ExpandAll(l, withEngine(threeHosts, "28.5.2", "20.10.24", "28.5.2"))
		if err != nil {
			t.Fatal(err)
		}
		if got := rows(checks); got[1] != 0 || got[2] != 0 || got[3] != 2 || got[4] != 4 {
			t.Errorf("checks per row %v", got)
		}
		if len(skips) != 2 || !strings.Contains(skips[0].Reason, "not probed here: node1 28.5.2") || !strings.Contains(skips[1].Reason, "not probed here: node2 20.10.24") {
			t.Errorf("skips %+v", skips)
		}
	})
	t.Run("unknown engines", func(t *testing.T) {
		// lab show without hosts: every row, every workload placed.
		checks, skips, err := ExpandAll(l, threeHosts)
		if err != nil || len(skips) != 0 {
			t.Fatalf("%v, skips %+v", err, skips)
		}
		if got := rows(checks); got[1] != 1 || got[2] != 1 || got[3] != 2 || got[5] != 1 {
			t.Errorf("checks per row %v: want every row", got)
		}
	})
}

func TestRowFamilies(t *testing.T) {
	l, err := Load(filepath.Join("testdata", "engines", "valid-engines.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for row, want := range map[int]string{1: "ipv4", 4: "ipv6", 5: "ipv6"} {
		if got := strings.Join(l.RowFamilies(&l.Expect[row-1]), ","); got != want {
			t.Errorf("row %d: families %s, want %s", row, got, want)
		}
	}
	dual := &Expectation{From: Endpoint{Workload: "web"}, To: Target{Workload: "web"}, Network: "v6"}
	if got := strings.Join(l.RowFamilies(dual), ","); got != "ipv4,ipv6" {
		t.Errorf("a row on a dual-stack network: %s, want both", got)
	}
	if got := l.RowFamilies(&Expectation{To: Target{Address: "fd00::1"}}); got[0] != FamilyIPv6 {
		t.Errorf("an IPv6 address target: %v", got)
	}
}

func TestPlanRoutes(t *testing.T) {
	l, err := Load(filepath.Join("testdata", "engines", "valid-engines.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := l.PlanRoutes(threeHosts)
	if err != nil || len(rs) != 2 || rs[1].Host != "node2" || rs[1].Via != "node1" || rs[1].Note != "the routed one" {
		t.Fatalf("%+v, %v", rs, err)
	}
	if _, err := l.PlanRoutes(threeHosts[:1]); err == nil || !strings.Contains(err.Error(), "route #1: host: $2: the inventory has only 1 host(s)") {
		t.Errorf("one host: %v", err)
	}
	if !l.EngineConditional() {
		t.Error("a lab with engines: rows is engine-conditional")
	}
}
