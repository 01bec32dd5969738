package importer

import (
	"strings"
	"testing"

	"github.com/overlab/overlab/inventory"
)

func TestParseSSHSpec(t *testing.T) {
	tests := []struct {
		spec       string
		user, host string
		port       int
		err        string
	}{
		{spec: "192.168.56.11", host: "192.168.56.11"},
		{spec: "manager-1.example.com", host: "manager-1.example.com"},
		{spec: "admin@10.0.0.5", user: "admin", host: "10.0.0.5"},
		{spec: "admin@10.0.0.5:2222", user: "admin", host: "10.0.0.5", port: 2222},
		{spec: "ssh://ops@mgr1:22", user: "ops", host: "mgr1", port: 22},
		{spec: "ssh://mgr1", host: "mgr1"},
		{spec: "[fd00::11]:2200", host: "fd00::11", port: 2200},
		{spec: "fd00::11", host: "fd00::11"},
		{spec: "root@[fd00::11]", err: "missing port"},
		{spec: "http://mgr1", err: "only ssh:// specs"},
		{spec: "ssh://mgr1/path", err: "a path, query or fragment"},
		{spec: "admin:secret@mgr1", err: "no password"},
		{spec: "-oProxyCommand=x@mgr1", err: "is not a user name"},
		{spec: "mgr1:0", err: "port \"0\" is not 1-65535"},
		{spec: "mgr1:ssh", err: "port \"ssh\" is not 1-65535"},
		{spec: "-mgr1", err: "neither an inventory host"},
		{spec: "", err: "neither an inventory host"},
		{spec: "a b", err: "neither an inventory host"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			user, host, port, err := ParseSSHSpec(tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || user != tc.user || host != tc.host || port != tc.port {
				t.Errorf("got %q %q %d %v, want %q %q %d", user, host, port, err, tc.user, tc.host, tc.port)
			}
		})
	}
}

func TestResolveFrom(t *testing.T) {
	inv := &inventory.Inventory{
		Source:   "/home/alice/lab/overlab.yaml",
		Defaults: inventory.Defaults{User: "ops", IdentityFile: "keys/id_ed25519", KnownHosts: "~/.ssh/known_hosts", TimeScale: 2},
		Hosts: []inventory.Host{
			{Name: "mgr", Address: "10.0.0.11", Role: "manager", Port: 2200, ProxyJump: "bastion.example.com"},
			{Name: "fwd", Address: "192.168.56.12", SSHHost: "127.0.0.1", Port: 2222, User: "vagrant", IdentityFile: "/k/fwd"},
		},
	}
	tests := []struct {
		name, from string
		inv        *inventory.Inventory
		env        inventory.Defaults
		dialName   string
		want       inventory.Defaults
		jump       string
		err        string
	}{
		{name: "by name", from: "mgr", inv: inv, dialName: "mgr", jump: "bastion.example.com",
			want: inventory.Defaults{User: "ops", Port: 2200, IdentityFile: "/home/alice/lab/keys/id_ed25519", KnownHosts: "~/.ssh/known_hosts", TimeScale: 2}},
		{name: "by address", from: "10.0.0.11", inv: inv, dialName: "mgr", jump: "bastion.example.com",
			want: inventory.Defaults{User: "ops", Port: 2200, IdentityFile: "/home/alice/lab/keys/id_ed25519", KnownHosts: "~/.ssh/known_hosts", TimeScale: 2}},
		{name: "a port forward is not the nodes' port", from: "fwd", inv: inv, dialName: "fwd",
			want: inventory.Defaults{User: "vagrant", IdentityFile: "/k/fwd", KnownHosts: "~/.ssh/known_hosts", TimeScale: 2}},
		{name: "by ssh_host", from: "127.0.0.1", inv: inv, dialName: "fwd",
			want: inventory.Defaults{User: "vagrant", IdentityFile: "/k/fwd", KnownHosts: "~/.ssh/known_hosts", TimeScale: 2}},
		{name: "a spec with the inventory's defaults", from: "admin@10.0.0.99:2022", inv: inv, dialName: "10.0.0.99",
			want: inventory.Defaults{User: "admin", Port: 2022, IdentityFile: "/home/alice/lab/keys/id_ed25519", KnownHosts: "~/.ssh/known_hosts", TimeScale: 2}},
		{name: "a spec without an inventory", from: "10.0.0.99", env: inventory.Defaults{User: "deploy", IdentityFile: "/etc/keys/deploy"}, dialName: "10.0.0.99",
			want: inventory.Defaults{User: "deploy", IdentityFile: "/etc/keys/deploy"}},
		{name: "an unknown name", from: "nosuch_host", inv: inv, err: `--from "nosuch_host": no host of /home/alice/lab/overlab.yaml has this name or address, and "nosuch_host": "nosuch_host" is neither`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveFrom(tc.inv, tc.env, tc.from)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Defaults != tc.want || got.ProxyJump != tc.jump {
				t.Errorf("defaults %+v jump %q, want %+v %q", got.Defaults, got.ProxyJump, tc.want, tc.jump)
			}
			if spec := tc.dialName != "mgr" && tc.dialName != "fwd"; spec && tc.inv != nil && got.NotIn != "/home/alice/lab/overlab.yaml (fwd, mgr)" || !spec && got.NotIn != "" {
				t.Errorf("NotIn %q", got.NotIn)
			}
			if len(got.Dial.Hosts) != 1 || got.Dial.Hosts[0].Name != tc.dialName {
				t.Errorf("dials %+v, want %s", got.Dial.Hosts, tc.dialName)
			}
		})
	}
}
