package runner

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/results"
)

func TestAddHosts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		facts    map[string]*cluster.Facts
		down     map[string]error
		hosts    []results.Host
		findings []results.Finding
	}{
		{name: "no facts: bare rows",
			hosts: []results.Host{{Name: "node1", Address: "192.168.56.11"}, {Name: "node2", Address: "192.168.56.12"}, {Name: "node3", Address: "192.168.56.13"}}},
		{name: "facts, problems and an unreachable host",
			facts: map[string]*cluster.Facts{"node1": {EngineVersion: "28.0", Docker0Subnet: "172.17.0.0/16", Docker0Gateway: "172.17.0.1", SwarmRole: "manager", Problems: []string{"no IPVS"}}},
			down:  map[string]error{"node3": errors.New("ssh: timeout")},
			hosts: []results.Host{
				{Name: "node1", Address: "192.168.56.11", EngineVersion: "28.0", Docker0Subnet: "172.17.0.0/16", Docker0Gateway: "172.17.0.1", SwarmRole: "manager"},
				{Name: "node2", Address: "192.168.56.12"},
				{Name: "node3", Address: "192.168.56.13", Error: "ssh: timeout"},
			},
			findings: []results.Finding{
				{Severity: results.SeverityError, Host: "node1", Message: "no IPVS"},
				{Severity: results.SeverityError, Host: "node3", Message: "unreachable: ssh: timeout"},
			}},
	} {
		doc := newDocument(parse(t, "name: x\n"), time.Time{})
		addHosts(doc, threeHosts, tc.facts, tc.down)
		if !reflect.DeepEqual(doc.Hosts, tc.hosts) {
			t.Errorf("%s: hosts\n%+v\nwant\n%+v", tc.name, doc.Hosts, tc.hosts)
		}
		if len(doc.Findings) != len(tc.findings) || len(tc.findings) > 0 && !reflect.DeepEqual(doc.Findings, tc.findings) {
			t.Errorf("%s: findings %+v, want %+v", tc.name, doc.Findings, tc.findings)
		}
	}
}

func TestAddPlanNetworkRows(t *testing.T) {
	l := parse(t, `
name: n
networks:
  - {name: bridge, driver: bridge, default: true}
  - {name: ov, driver: overlay, subnet: 10.77.0.0/24}
workloads:
  - {name: a, networks: [bridge, ov]}
`)
	for _, tc := range []struct {
		name   string
		hosts  []results.Host
		bridge string
	}{
		{"the bridge's subnet is the first host's docker0", []results.Host{{Name: "node1", Docker0Subnet: "172.17.0.0/16"}}, "172.17.0.0/16"},
		{"no host rows: no bridge subnet", nil, ""},
	} {
		doc := newDocument(l, time.Time{})
		doc.Hosts = tc.hosts
		bp, err := blueprint.Compile(l, blueprint.FromInventory(threeHosts))
		if err != nil {
			t.Fatal(err)
		}
		addPlan(doc, bp)
		want := []results.Network{{Name: "bridge", Driver: "bridge", Scope: "local", Subnet: tc.bridge}, {Name: "ov", Driver: "overlay", Scope: "swarm", Subnet: "10.77.0.0/24"}}
		if !reflect.DeepEqual(doc.Networks, want) {
			t.Errorf("%s: networks %+v, want %+v", tc.name, doc.Networks, want)
		}
	}
}
