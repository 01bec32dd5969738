package runner

import (
	"slices"
	"testing"

	"github.com/overlab/overlab/doctor"
	"github.com/overlab/overlab/results"
)

func TestNarrowToTheHostDoctorBlames(t *testing.T) {
	rep := &doctor.Report{Problems: []string{"node3: 7946/tcp from node1, node2 filtered: open TCP 7946 between the lab hosts"}}
	d := results.Diagnosis{Hosts: []string{"node1", "node3"}, Cause: "probes between node1 and node3 fail"}
	narrow(&d, rep)
	if !slices.Equal(d.Hosts, []string{"node3"}) {
		t.Errorf("hosts %v, want [node3]", d.Hosts)
	}
	both := &doctor.Report{Problems: []string{"node1: path MTU from node3", "node3: 4789/udp from node1 filtered"}}
	d = results.Diagnosis{Hosts: []string{"node1", "node3"}}
	narrow(&d, both)
	if len(d.Hosts) != 2 {
		t.Errorf("doctor blames both: hosts %v, want both kept", d.Hosts)
	}
	if got := doctorLines(rep, []string{"node2"}); len(got) != 1 || got[0] != rep.Problems[0] {
		t.Errorf("lines naming node2: %q", got)
	}
}
