//go:build linux

package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/local/labtest"
)

// Imported inventories drive `overlab hosts` against real hosts: the local
// provider's (real sshd, real dockerd), standing in for Vagrant VMs and for
// an Ansible fleet, with the addresses rewritten to theirs.
func TestImportedInventoriesDriveHosts(t *testing.T) {
	lab := labtest.Up(t, 2)
	t.Setenv("HOME", t.TempDir()) // keys trusted below land in a throwaway ~/.ssh
	src, err := inventory.Load(lab.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := src.Resolve(inventory.WithoutSSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	t.Run("vagrant ssh-config, addresses discovered over SSH", func(t *testing.T) {
		var b strings.Builder
		for i, h := range hosts {
			fmt.Fprintf(&b, "Host node%d\n  HostName %s\n  User %s\n  Port %d\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  PasswordAuthentication no\n\n  IdentityFile %q\n  IdentitiesOnly yes\n  LogLevel FATAL\n\n",
				i+1, h.DialHost(), h.User, h.Port, h.IdentityFile)
		}
		cfg := filepath.Join(dir, "ssh-config")
		if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "vagrant", "overlab.yaml")
		_, stderr, code := run(t, "inventory", "import", "vagrant", cfg, "-o", out, "--lab-subnet", lab.Subnet.String())
		if code != 0 {
			t.Fatalf("import: exit %d: %s", code, stderr)
		}
		inv, err := inventory.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range inv.Hosts {
			if h.Address != hosts[i].Address {
				t.Errorf("%s: discovered %s, want %s", h.Name, h.Address, hosts[i].Address)
			}
		}
		// Host keys were recorded on first contact: no --trust-new-hosts now.
		checkHostsAnswer(t, out, len(hosts))
	})

	t.Run("ansible INI", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("[managers]\n")
		for i, h := range hosts {
			if i == 1 {
				b.WriteString("[workers]\n")
			}
			fmt.Fprintf(&b, "%s ansible_host=%s ansible_user=%s ansible_ssh_private_key_file=%q\n", h.Name, h.Address, h.User, h.IdentityFile)
		}
		ini := filepath.Join(dir, "hosts.ini")
		if err := os.WriteFile(ini, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "ansible.yaml")
		if _, stderr, code := run(t, "inventory", "import", "ansible", ini, "-o", out); code != 0 {
			t.Fatalf("import: exit %d: %s", code, stderr)
		}
		checkHostsAnswer(t, out, len(hosts), "--trust-new-hosts")
	})
}

func checkHostsAnswer(t *testing.T, inv string, n int, extra ...string) {
	t.Helper()
	args := append([]string{"hosts", "-i", inv, "--format", "json", "--connect-timeout", "5s"}, extra...)
	stdout, stderr, code := run(t, args...)
	if code != 0 {
		t.Fatalf("overlab hosts: exit %d: %s\n%s", code, stderr, stdout)
	}
	var doc struct {
		Hosts []struct {
			Name  string `json:"name"`
			SSH   bool   `json:"ssh_ok"`
			Error string `json:"error"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	reports := doc.Hosts
	if len(reports) != n {
		t.Fatalf("%d hosts reported, want %d", len(reports), n)
	}
	for _, r := range reports {
		if !r.SSH || r.Error != "" {
			t.Errorf("%s: ssh_ok=%v error=%q", r.Name, r.SSH, r.Error)
		}
	}
}
