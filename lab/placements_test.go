package lab

import (
	"reflect"
	"strings"
	"testing"
)

func TestPlacements(t *testing.T) {
	for _, tc := range []struct {
		name      string
		workloads string
		want      map[string][]string
		err       string
	}{
		{name: "no placement: every host, in inventory order",
			workloads: `[{name: g, kind: service, networks: [ov]}]`,
			want:      map[string][]string{"g": {"node1", "node2", "node3"}}},
		{name: "by position and by name, in inventory order",
			workloads: `[{name: a, networks: [ov], placement: {hosts: [node3, "$1"]}}]`,
			want:      map[string][]string{"a": {"node1", "node3"}}},
		{name: "by role",
			workloads: `[{name: w, kind: service, networks: [ov], placement: {roles: [worker]}}, {name: m, kind: service, networks: [ov], placement: {roles: [manager]}}]`,
			want:      map[string][]string{"w": {"node2", "node3"}, "m": {"node1"}}},
		{name: "hosts and roles must both match",
			workloads: `[{name: x, kind: service, networks: [ov], placement: {hosts: [node1, node2], roles: [worker]}}]`,
			want:      map[string][]string{"x": {"node2"}}},
		{name: "selects nothing",
			workloads: `[{name: x, kind: service, networks: [ov], placement: {hosts: [node1], roles: [worker]}}]`,
			err:       `workload "x": placement: placement selects no host of the inventory (hosts: node1, node2, node3)`},
		{name: "one static address on a multi-host network",
			workloads: `[{name: s, networks: [{network: ov, ip: 10.9.0.5}]}]`,
			err:       `one static address 10.9.0.5 for containers on 3 hosts of the multi-host network "ov"`},
	} {
		src := "name: p\nnetworks:\n  - {name: ov, driver: overlay, subnet: 10.9.0.0/24}\nworkloads: " + tc.workloads + "\n"
		l, err := Parse([]byte(src), "p.yaml")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := Placements(l, threeHosts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
