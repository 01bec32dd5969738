package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/lab"
)

func TestWalkthroughGolden(t *testing.T) {
	for _, l := range lab.List() {
		t.Run(l.Name, func(t *testing.T) {
			bp, err := blueprint.Compile(l, blueprint.ExampleHosts())
			if err != nil {
				t.Fatal(err)
			}
			if err := bp.Plan.Err(); err != nil {
				t.Fatalf("built-in lab has address conflicts on the example hosts: %v", err)
			}
			steps := bp.Walkthrough()
			var b bytes.Buffer
			if err := Walkthrough(&b, steps); err != nil {
				t.Fatal(err)
			}
			// Every expectation is reproducible by hand.
			rows := map[int]bool{}
			for _, s := range steps {
				if s.Row > 0 {
					rows[s.Row] = true
				}
			}
			if len(rows) != len(l.Expect) {
				t.Errorf("%d of %d expectations have commands", len(rows), len(l.Expect))
			}
			if strings.Contains(b.String(), "<nil>") || strings.Contains(b.String(), "%!") {
				t.Errorf("formatting error in output:\n%s", b.String())
			}
			golden.Assert(t, filepath.Join("commands", l.Name+".golden"), b.Bytes())
		})
	}
}

func TestWalkthroughSwarmMacvlan(t *testing.T) {
	l, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	hosts := blueprint.ExampleHosts()
	hosts[1].Parent = "enp0s8"
	bp, err := blueprint.Compile(l, hosts)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_ = Walkthrough(&b, bp.Walkthrough())
	out := b.String()
	for _, want := range []string{
		"node1$ docker network create --config-only --subnet 192.168.56.0/24 --ip-range 192.168.56.128/28 -o macvlan_mode=bridge -o parent=eth0 overlab-macvlan-config",
		"node2$ docker network create --config-only --subnet 192.168.56.0/24 --ip-range 192.168.56.144/28 -o macvlan_mode=bridge -o parent=enp0s8 overlab-macvlan-config",
		"node1$ docker network create -d macvlan --scope swarm --attachable --config-from overlab-macvlan-config overlab-macvlan",
		"node1$ docker service create --name overlab-probe --mode global --endpoint-mode dnsrr --network overlab-overlay --network overlab-macvlan --hostname '{{.Service.Name}}-{{.Node.Hostname}}' --no-resolve-image overlab-probe:latest",
		"node1$ docker exec $(docker ps -q -f label=com.docker.swarm.service.name=overlab-probe) ping -c 3 -W 1 192.168.56.11   # expect: unreachable",
		"node1$ docker swarm init --advertise-addr 192.168.56.11",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "SWMTKN") {
		t.Error("a token in the output")
	}
}
