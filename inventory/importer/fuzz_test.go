package importer

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/inventory"
)

func addFixtures(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join("testdata", glob))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
}

// The parsers read files people hand us: errors are fine, panics and
// unbounded work are not.

func FuzzVagrantSSHConfig(f *testing.F) {
	addFixtures(f, "*-vagrant-*.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := ParseVagrantSSHConfig(bytes.NewReader(data))
		if err != nil {
			return
		}
		_, _ = FromVagrant(ms, VagrantOptions{Addresses: VagrantPlan(len(ms))})
	})
}

func FuzzAnsibleINI(f *testing.F) {
	addFixtures(f, "*-ansible*.ini")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = AnsibleINI(bytes.NewReader(data), AnsibleOptions{})
	})
}

func FuzzAnsibleYAML(f *testing.F) {
	addFixtures(f, "*-ansible*.yaml")
	addFixtures(f, "hostile/ansible-*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = AnsibleYAML(bytes.NewReader(data), AnsibleOptions{})
	})
}

func FuzzParseIPAddr(f *testing.F) {
	addFixtures(f, "ip-addr-*.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ParseIPAddr(data)
	})
}

// --from is typed by people: a spec that parses has a host, a port in
// range and nothing that could be read as an option or a password, and
// writing it back parses to the same.
func FuzzParseSSHSpec(f *testing.F) {
	for _, s := range []string{"node1", "root@10.0.0.5:2222", "ssh://ops@mgr1", "[fd00::1]:22", "a:b@c", "-oX@y", "ssh://h/p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		user, host, port, err := ParseSSHSpec(spec)
		if err != nil {
			return
		}
		if host == "" || port < 0 || port > 65535 || strings.ContainsAny(user, ":@") || strings.HasPrefix(user, "-") || strings.HasPrefix(host, "-") {
			t.Fatalf("%q parsed to user %q host %q port %d", spec, user, host, port)
		}
		again := host
		if strings.Contains(host, ":") || port != 0 {
			again = net.JoinHostPort(host, strconv.Itoa(port))
		}
		if user != "" {
			again = user + "@" + again
		}
		if port == 0 && strings.Contains(host, ":") {
			again = host // a bare IPv6 address
			if user != "" {
				again = user + "@" + host
			}
		}
		u2, h2, p2, err := ParseSSHSpec(again)
		if err != nil || u2 != user || h2 != host || p2 != port {
			t.Fatalf("%q → %q → %q %q %d %v", spec, again, u2, h2, p2, err)
		}
	})
}

// A node list comes from an engine: whatever it holds, the mapping neither
// panics nor writes an inventory with a host lacking a name or address.
func FuzzFromSwarm(f *testing.F) {
	addFixtures(f, "swarm/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		var nodes []swarm.Node
		if json.Unmarshal(data, &nodes) != nil {
			return
		}
		inv, _, err := FromSwarm(Swarm{From: "m", Nodes: nodes}, SwarmOptions{SelfDial: "10.0.0.1", SelfPort: 22})
		if err != nil {
			return
		}
		for _, h := range inv.Hosts {
			if !inventory.ValidName(h.Name) || h.Address == "" {
				t.Fatalf("host %+v", h)
			}
		}
	})
}

// An inventory whose hosts share one alias of thousands of variables is
// refused at once (scripts/hostile-fixtures.py writes it); so is a file
// over the size limit. The time is logged, not asserted.
func TestHostileFilesAreRefused(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "hostile", "ansible-aliases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = AnsibleYAML(bytes.NewReader(data), AnsibleOptions{})
	t.Logf("ansible-aliases.yaml refused in %v", time.Since(start).Round(time.Microsecond))
	if err == nil || !strings.Contains(err.Error(), "expands to more than 100000 YAML nodes") {
		t.Errorf("ansible-aliases.yaml: %v", err)
	}
	huge := io.MultiReader(strings.NewReader("[all]\n"), strings.NewReader(strings.Repeat("# padding\n", 110_000)))
	if _, err := AnsibleINI(huge, AnsibleOptions{}); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Errorf("an INI inventory over the size limit: %v", err)
	}
	if _, err := ParseVagrantSSHConfig(strings.NewReader(strings.Repeat("# padding\n", 110_000))); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Errorf("ssh-config output over the size limit: %v", err)
	}
}
