//go:build linux

package cmd

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/local/labtest"
)

// TestImportSwarm: a swarm made by hand with the engines' own CLI (not by
// overlab) on three local hosts, a node label set with `docker node
// update`; `inventory import swarm --from node1` writes an inventory of
// its nodes that `overlab hosts` then reaches; the import changes no node;
// a worker is refused with its managers named. The test's cleanup makes
// every host leave the swarm it made, and checks that none is left in one.
func TestImportSwarm(t *testing.T) {
	lab := labtest.Up(t, 3)
	addr := func(i int) string { return lab.HostAddr(i).String() }
	t.Cleanup(func() {
		for _, i := range []int{3, 2, 1} {
			if out, err := lab.Run(t, i, "docker swarm leave --force"); err != nil && !strings.Contains(out, "not part of a swarm") {
				t.Errorf("node%d: docker swarm leave --force: %v: %s", i, err, out)
			}
		}
		for i := 1; i <= 3; i++ {
			if state, err := lab.Run(t, i, "docker info --format '{{.Swarm.LocalNodeState}}'"); err != nil || state != "inactive" {
				t.Errorf("node%d is still in a swarm after the test: %q %v", i, state, err)
			}
		}
	})
	lab.MustRun(t, 1, "docker swarm init --advertise-addr "+addr(1))
	token := lab.MustRun(t, 1, "docker swarm join-token -q worker")
	for _, i := range []int{2, 3} {
		lab.MustRun(t, i, fmt.Sprintf("docker swarm join --advertise-addr %s --token %s %s:2377", addr(i), token, addr(1)))
	}
	lab.MustRun(t, 1, "docker node update --label-add zone=a --label-add Rack=r1 node2")
	nodes := func() string {
		return lab.MustRun(t, 1, "docker node inspect --format '{{.ID}} {{.Version.Index}} {{.Spec.Role}} {{.Spec.Availability}} {{.Spec.Labels}}' node1 node2 node3")
	}
	before := nodes()

	dir := t.TempDir()
	out := filepath.Join(dir, "swarm.yaml")
	_, stderr, code := run(t, "inventory", "import", "swarm", "-i", lab.Inventory, "--from", "node1", "-o", out)
	if code != 0 {
		t.Fatalf("import --from node1: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `node2: node label "Rack" is left out`) || !strings.Contains(stderr, "wrote inventory of 3 hosts (swarm of node1) to "+out) {
		t.Errorf("stderr: %s", stderr)
	}
	inv, err := inventory.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range inv.Hosts {
		got = append(got, fmt.Sprintf("%s %s %s %v", h.Name, h.Address, h.Role, h.Labels))
	}
	want := []string{"node1 " + addr(1) + " manager map[]", "node2 " + addr(2) + " worker map[zone:a]", "node3 " + addr(3) + " worker map[]"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("imported hosts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkHostsAnswer(t, out, 3)

	// An SSH spec reaches the same manager with the inventory's defaults.
	out2 := filepath.Join(dir, "spec.yaml")
	if _, stderr, code := run(t, "inventory", "import", "swarm", "-i", lab.Inventory, "--from", "ssh://root@"+addr(1)+":22", "-o", out2); code != 0 {
		t.Fatalf("import --from ssh://root@%s:22: exit %d: %s", addr(1), code, stderr)
	}
	inv2, err := inventory.Load(out2)
	if err != nil || len(inv2.Hosts) != 3 || inv2.Hosts[0].Address != addr(1) || inv2.Defaults.User != "root" || inv2.Defaults.Port != 22 {
		t.Errorf("import by spec: %+v %v", inv2, err)
	}

	// A worker cannot list the nodes: the error names the manager.
	_, stderr, code = run(t, "inventory", "import", "swarm", "-i", lab.Inventory, "--from", "node2")
	if code != 2 || !strings.Contains(stderr, "node2 is a worker: only a manager lists the swarm's nodes; --from one of its managers (at "+addr(1)+")") {
		t.Errorf("import --from a worker: exit %d: %s", code, stderr)
	}

	if after := nodes(); after != before {
		t.Errorf("the import changed the swarm's nodes:\nbefore %s\nafter  %s", before, after)
	}
}
