package existing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/lab"
)

var threeHosts = []blueprint.Host{
	{Name: "node1", Address: "192.168.56.11", Role: "manager"},
	{Name: "node2", Address: "192.168.56.12", Role: "worker"},
	{Name: "node3", Address: "192.168.56.13", Role: "worker"},
}

func found() *Found {
	all := []string{"node1", "node2", "node3"}
	return &Found{
		Networks: []Network{
			{Name: "backend", Driver: "overlay", Scope: "swarm", Subnet: "10.50.0.0/24", Hosts: all},
			{Name: "my_bridge", Driver: "bridge", Scope: "local", Subnet: "10.10.10.0/24", Hosts: all},
		},
		Services: []Service{{Ref: ServiceRef{"api", 8080, "tcp"}, VIP: true, VIPs: map[string]string{"backend": "10.50.0.2"},
			Networks: []string{"backend"}, Tasks: []Task{{Host: "node2", Addrs: map[string]string{"backend": "10.50.0.7"}}}}},
		SwarmHosts: all, Others: []string{"x9node"}, IPVS: true,
	}
}

func TestLabOfWhatWasFound(t *testing.T) {
	l := found().Lab("r1")
	if err := l.Validate(); err != nil {
		t.Fatalf("the lab made from what was found does not validate: %v", err)
	}
	bp, err := blueprint.Compile(l, threeHosts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range bp.Networks {
		if len(n.Creates) != 0 {
			t.Errorf("network %s would be created: %+v", n.Name, n.Creates)
		}
	}
	svc := bp.Workloads[0].Service
	if svc == nil || !svc.TaskTemplate.ContainerSpec.ReadOnly || svc.TaskTemplate.ContainerSpec.User == "" ||
		svc.TaskTemplate.Resources == nil || svc.TaskTemplate.Resources.Limits.MemoryBytes == 0 || len(svc.EndpointSpec.Ports) != 0 {
		t.Errorf("the overlay's probe is not a hardened service publishing nothing: %+v", svc)
	}
	if got := svc.TaskTemplate.Placement.Constraints; len(got) != 1 || got[0] != "node.id!=x9node" {
		t.Errorf("constraints %v: want the node outside the inventory excluded by ID", got)
	}
	if c := bp.Workloads[1].Containers; len(c) != 3 || !c[0].HostConfig.ReadonlyRootfs || len(c[0].HostConfig.PortBindings) != 0 {
		t.Errorf("the bridge's probes: %+v", c)
	}
	count := map[string]int{}
	for _, c := range bp.Checks {
		key := c.Network + " " + c.Kind + " " + map[bool]string{true: "reach", false: "not"}[c.Reachable]
		count[key]++
		if c.TargetType == lab.TargetAddress && c.ToWorkload == "api" && c.ToHost != "node2" {
			t.Errorf("the task address check is not named after its host: %+v", c)
		}
	}
	// backend: 6 pairs x 4 kinds; api: 2 dns + name + VIP + task, from 3 hosts.
	// my_bridge: 6 pairs x tcp and udp, each unreachable (one bridge per host).
	// Isolation both ways: 3 x 3 x 2 kinds each way.
	for key, want := range map[string]int{
		"backend icmp reach": 6, "backend tcp reach": 6 + 3*3, "backend dns reach": 6 + 3*2,
		"my_bridge icmp not": 9, "my_bridge tcp not": 6 + 9, "my_bridge udp not": 6, "backend icmp not": 9,
	} {
		if count[key] != want {
			t.Errorf("%s: %d checks, want %d (all: %v)", key, count[key], want, count)
		}
	}
}

func TestExpectationsFromAFile(t *testing.T) {
	f := found()
	path := filepath.Join(t.TempDir(), "expect.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`expect:
  - from: {workload: probe}
    to: {workload: probe}
    network: backend
    kinds: [icmp]
    reachable: true
  - from: {workload: probe@backend}
    to: {workload: probe@my_bridge, host: all}
    network: my_bridge
    kinds: [tcp]
    reachable: false
`)
	rows, err := LoadExpect(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := f.WithExpect(f.Lab("r1"), rows, "r1")
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Compile(l, threeHosts)
	if err != nil {
		t.Fatal(err)
	}
	if len(bp.Checks) != 6+9 || bp.Checks[0].FromWorkload != "overlab-check-r1-0" {
		t.Errorf("%d checks from %s, want 15 from the backend probe", len(bp.Checks), bp.Checks[0].FromWorkload)
	}
	write("expect:\n  - {from: {workload: web}, to: {workload: probe}, kinds: [icmp], reachable: true}\n")
	rows, _ = LoadExpect(path)
	if _, err := f.WithExpect(f.Lab("r1"), rows, "r1"); err == nil || !strings.Contains(err.Error(), `expect #1: from.workload: "web": the workloads here are the probes`) ||
		!strings.Contains(err.Error(), `to.workload: "probe" needs the row's network`) {
		t.Errorf("bad names: %v", err)
	}
	write("networks: [{name: x, driver: bridge}]\nexpect: []\n")
	if _, err := LoadExpect(path); err == nil || !strings.Contains(err.Error(), "expect: rows only") {
		t.Errorf("a whole lab: %v", err)
	}
}
