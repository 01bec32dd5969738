package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
)

func runOverlab(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(args, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func TestLabListGolden(t *testing.T) {
	out, errOut, code := runOverlab(t, "lab", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden.Assert(t, "lab/list.golden", []byte(out))
}

func TestLabShowGolden(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"lab/show-swarm.golden", []string{"lab", "show", "swarm"}},
		{"lab/show-user-bridge.golden", []string{"lab", "show", "user-bridge"}},
		{"lab/show-publish.yaml.golden", []string{"lab", "show", "publish", "--format", "yaml"}},
		{"lab/commands-macvlan.golden", []string{"lab", "show", "macvlan", "--commands"}},
		{"lab/commands-user-bridge.golden", []string{"lab", "show", "user-bridge", "--commands"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			out, errOut, code := runOverlab(t, c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden.Assert(t, c.golden, []byte(out))
		})
	}
}

func TestLabShowCommandsWithInventory(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.yaml")
	err := os.WriteFile(inv, []byte(`hosts:
  - {name: alpha, address: 10.30.0.5, role: manager, macvlan_parent: ens4}
  - {name: beta, address: 10.30.0.6, role: worker}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOverlab(t, "-i", inv, "lab", "show", "swarm", "--commands")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"on the inventory's hosts",
		"alpha$ docker swarm init --advertise-addr 10.30.0.5",
		"alpha$ docker network create --config-only --subnet 10.30.0.0/24 --ip-range 10.30.0.128/28 -o macvlan_mode=bridge -o parent=ens4 overlab-macvlan-config",
		"beta $ docker network create --config-only --subnet 10.30.0.0/24 --ip-range 10.30.0.144/28 -o macvlan_mode=bridge -o parent=eth0 overlab-macvlan-config",
		"beta $ docker exec $(docker ps -q -f label=com.docker.swarm.service.name=overlab-probe) ping -c 3 -W 1 10.30.0.5   # expect: reachable",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestLabShowErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nnetworks:\n  - name: my_bridge\n    driver: bridg\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"lab", "show", "nosuch"}, `ERROR: no built-in lab "nosuch" (built-in labs: host, bridge, user-bridge, publish, direct-routing, none, overlay, macvlan, swarm, ipv6, vip, ingress, encrypted, macvlan-vlan, ipvlan, vxlan-blocked, gossip-blocked, mtu-mismatch, host-cut)`},
		{[]string{"lab", "show", bad}, `ERROR: ` + bad + `:4: network "my_bridge": driver: unknown driver "bridg" (one of overlay, macvlan, ipvlan, bridge, host, none)`},
		{[]string{"lab", "show", "swarm", "--format", "xml"}, `ERROR: unknown --format "xml" (want table, json, yaml, svg, dot, mermaid)`},
		{[]string{"lab", "show", "swarm", "--format", "svg", "--commands"}, `ERROR: --commands prints text: it has no --format svg`},
	}
	for _, c := range cases {
		_, errOut, code := runOverlab(t, c.args...)
		if code != 2 || strings.TrimSpace(errOut) != c.want {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q", c.args, code, errOut, c.want)
		}
	}
}
