//go:build vm

package vagrant_test

import (
	"strings"
	"testing"

	"github.com/overlab/overlab/results"
)

// labAssertsVM checks on the VMs what the newer labs claim beyond "every
// probe as expected": the ipvlan children's VLAN parent, the routes the
// direct-routing lab adds (and records), IPv6 probes that ran.
func labAssertsVM(t *testing.T, vms []vm, name string, doc *results.Document) {
	t.Helper()
	switch name {
	case "ipvlan":
		for _, v := range vms {
			if out := v.ssh(t, "ip -o link show | grep -c '[.]200@' || true"); strings.TrimSpace(out) == "0" {
				t.Errorf("%s: no VLAN 200 parent for the ipvlan l2 network", v.name)
			}
		}
	case "direct-routing":
		out := vms[1].ssh(t, "ip route; sudo cat /var/run/overlab-faults 2>/dev/null | cut -f2,3")
		if !strings.Contains(out, "via 192.168.56.11") || !strings.Contains(out, "route\tlab direct-routing: route to") {
			t.Errorf("node2: want the lab's route via node1, recorded:\n%s", out)
		}
	case "ipv6":
		v6 := 0
		for _, p := range doc.Probes {
			if p.IPv6() {
				v6++
			}
		}
		if v6 == 0 {
			t.Error("no IPv6 probe in the ipv6 lab's document")
		}
	}
	for _, h := range doc.Hosts {
		if h.EngineVersion == "" {
			t.Errorf("%s: no engine version in the document", h.Name)
		}
	}
}

// labGoneVM wants nothing of the lab left outside Docker after down: no
// route the lab added, no record of one.
func labGoneVM(t *testing.T, vms []vm, name string) {
	t.Helper()
	if name != "direct-routing" && name != "ipvlan" {
		return
	}
	for _, v := range vms {
		out := v.ssh(t, "ip route; sudo cat /var/run/overlab-faults 2>/dev/null || true")
		if strings.Contains(out, "lab "+name+": route") || strings.Contains(out, "10.77.3.") || (name == "direct-routing" && strings.Contains(out, "via 192.168.56.11")) {
			t.Errorf("%s: the lab's routes are left after down:\n%s", v.name, out)
		}
	}
}
