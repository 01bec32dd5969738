package importer

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/inventory"
)

// roundTrip writes inv as YAML, checks it against the golden file, and
// reads it back with the strict loader: what we write is what we read.
func roundTrip(t *testing.T, name string, inv *inventory.Inventory, header string) {
	t.Helper()
	out, err := inventory.MarshalYAML(inv, header)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("golden", name), out)
	path := filepath.Join(t.TempDir(), "inv.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := inventory.Load(path)
	if err != nil {
		t.Fatalf("loading the written inventory: %v", err)
	}
	back.Source = inv.Source
	if !reflect.DeepEqual(back, inv) {
		t.Errorf("round trip changed the inventory:\n got %+v\nwant %+v", back, inv)
	}
}

func readFixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestVagrantValid(t *testing.T) {
	tests := []struct {
		file      string
		addresses map[string]string
		machines  int
		first     VagrantMachine
	}{
		{file: "valid-vagrant-1.txt", addresses: map[string]string{"default": "192.168.56.11"}, machines: 1,
			first: VagrantMachine{Name: "default", HostName: "127.0.0.1", Port: 2222, User: "vagrant",
				IdentityFile: "/home/alice/lab/.vagrant/machines/default/virtualbox/private_key"}},
		{file: "valid-vagrant-3.txt", addresses: VagrantPlan(3), machines: 3,
			first: VagrantMachine{Name: "node1", HostName: "127.0.0.1", Port: 2222, User: "vagrant",
				IdentityFile: "/home/alice/My Labs/overlab/.vagrant/machines/node1/virtualbox/private_key"}},
		{file: "valid-vagrant-libvirt.txt", addresses: VagrantPlan(2), machines: 2,
			first: VagrantMachine{Name: "node1", HostName: "192.168.121.37", Port: 22, User: "vagrant",
				IdentityFile: "/home/bob/overlab/.vagrant/machines/node1/libvirt/private_key"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ms, err := ParseVagrantSSHConfig(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tt.machines || ms[0] != tt.first {
				t.Fatalf("parsed %d machines, first %+v; want %d, first %+v", len(ms), ms[0], tt.machines, tt.first)
			}
			inv, err := FromVagrant(ms, VagrantOptions{Addresses: tt.addresses, KnownHosts: "/home/alice/lab/.overlab/known_hosts"})
			if err != nil {
				t.Fatal(err)
			}
			if inv.Hosts[0].Role != inventory.RoleManager {
				t.Errorf("first machine is %s, want manager", inv.Hosts[0].Role)
			}
			for _, h := range inv.Hosts[1:] {
				if h.Role != inventory.RoleWorker {
					t.Errorf("%s is %s, want worker", h.Name, h.Role)
				}
			}
			roundTrip(t, strings.TrimSuffix(tt.file, ".txt")+".yaml", inv, VagrantHeader)
		})
	}
}

func TestVagrantInvalid(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"invalid-vagrant-empty.txt", []string{"no Host blocks", "vagrant status"}},
		{"invalid-vagrant-no-hostname.txt", []string{"Host node1: no HostName line"}},
		{"invalid-vagrant-bad-port.txt", []string{`Host node1: Port "22x2" is not a port number`}},
		{"invalid-vagrant-wildcard.txt", []string{"Host node*: want one machine name per Host line"}},
		{"invalid-vagrant-before-host.txt", []string{"settings before the first Host line (HostName)"}},
		{"invalid-vagrant-proxy.txt", []string{"Host node1: ProxyCommand is not supported"}},
		{"invalid-vagrant-duplicate.txt", []string{"Host node1: appears twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := ParseVagrantSSHConfig(readFixture(t, tt.file))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, frag := range tt.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not contain %q", err, frag)
				}
			}
		})
	}
}

func TestFromVagrantErrors(t *testing.T) {
	ms := []VagrantMachine{{Name: "node1", HostName: "127.0.0.1", Port: 2222}, {Name: "node2", HostName: "127.0.0.1", Port: 2200}}
	_, err := FromVagrant(ms, VagrantOptions{Addresses: map[string]string{"node1": "192.168.56.11"}})
	if err == nil || !strings.Contains(err.Error(), "node2: no lab address known") {
		t.Errorf("missing address: %v", err)
	}
	_, err = FromVagrant(ms, VagrantOptions{Addresses: VagrantPlan(2), Manager: "node9"})
	if err == nil || !strings.Contains(err.Error(), `manager "node9" is not one of the machines`) {
		t.Errorf("unknown manager: %v", err)
	}
	inv, err := FromVagrant(ms, VagrantOptions{Addresses: VagrantPlan(2), Manager: "node2"})
	if err != nil || inv.Hosts[1].Role != inventory.RoleManager || inv.Hosts[0].Role != inventory.RoleWorker {
		t.Errorf("manager node2: %v %+v", err, inv)
	}
}

func TestVagrantPlan(t *testing.T) {
	want := map[string]string{"node1": "192.168.56.11", "node2": "192.168.56.12", "node3": "192.168.56.13"}
	if got := VagrantPlan(3); !reflect.DeepEqual(got, want) {
		t.Errorf("VagrantPlan(3) = %v", got)
	}
}

func TestAnsibleValid(t *testing.T) {
	tests := []struct {
		file  string
		opts  AnsibleOptions
		hosts []inventory.Host
	}{
		{file: "valid-ansible.ini", hosts: []inventory.Host{
			{Name: "node1", Address: "192.168.56.11", Role: "manager", User: "admin", Port: 2222, IdentityFile: "~/.ssh/id_ed25519"},
			{Name: "node2", Address: "node2", Role: "worker", User: "ubuntu", Port: 2222, IdentityFile: "~/.ssh/id_ed25519", ProxyJump: "jump@bastion.example"},
			{Name: "node3", Address: "node3", Role: "worker", User: "ubuntu", Port: 2222, IdentityFile: "~/.ssh/id_ed25519", ProxyJump: "jump@bastion.example"},
			{Name: "node04", Address: "192.168.56.14", Role: "worker", User: "swarmuser", Port: 2202, IdentityFile: "/home/alice/keys/lab key", ProxyJump: "jump@bastion.example"},
		}},
		{file: "valid-ansible-swarm-groups.ini", hosts: []inventory.Host{
			{Name: "mgra.lab", Address: "10.20.0.1", Role: "manager", Port: 22},
			{Name: "mgrb.lab", Address: "10.20.0.1", Role: "manager", Port: 22},
			{Name: "w01.lab", Address: "w01.lab", Role: "worker", User: "core"},
			{Name: "w03.lab", Address: "w03.lab", Role: "worker", User: "core"},
		}},
		{file: "valid-ansible-custom-group.ini", opts: AnsibleOptions{ManagerGroup: "leaders"}, hosts: []inventory.Host{
			{Name: "alpha", Address: "10.30.0.1", Role: "manager"},
			{Name: "beta", Address: "10.30.0.2", Role: "worker"},
			{Name: "gamma", Address: "10.31.0.3", SSHHost: "10.30.0.3", Role: "worker"},
		}},
		{file: "valid-ansible.yaml", hosts: []inventory.Host{
			{Name: "node1", Address: "192.168.56.11", Role: "manager", User: "root", Port: 22, IdentityFile: "~/.ssh/id_ed25519"},
			{Name: "node2", Address: "node2", Role: "worker", User: "ubuntu", Port: 22, IdentityFile: "~/.ssh/id_ed25519"},
			{Name: "node3", Address: "node3", Role: "worker", User: "ubuntu", Port: 22, IdentityFile: "~/.ssh/id_ed25519"},
			{Name: "node4", Address: "192.168.56.14", SSHHost: "127.0.0.1", Role: "worker", User: "ubuntu", Port: 2201, IdentityFile: "~/.ssh/id_ed25519"},
		}},
		{file: "valid-ansible-vagrant.yaml", hosts: []inventory.Host{
			{Name: "node1", Address: "192.168.56.11", SSHHost: "127.0.0.1", Role: "manager", User: "vagrant", Port: 2222},
			{Name: "node2", Address: "192.168.56.12", SSHHost: "127.0.0.1", Role: "worker", User: "vagrant", Port: 2200},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv, err := Ansible(readFixture(t, tt.file), tt.file, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(inv.Hosts, tt.hosts) {
				t.Errorf("hosts\n got %+v\nwant %+v", inv.Hosts, tt.hosts)
			}
			roundTrip(t, strings.ReplaceAll(tt.file, ".", "-")+".yaml", inv, AnsibleHeader(tt.file))
		})
	}
}

func TestAnsibleInvalid(t *testing.T) {
	tests := []struct {
		file string
		opts AnsibleOptions
		want []string
	}{
		{file: "invalid-ansible-no-manager-group.ini", want: []string{"no managers or swarm_managers group", "--manager-group", "groups: all, web"}},
		{file: "valid-ansible.ini", opts: AnsibleOptions{ManagerGroup: "masters"}, want: []string{"group masters (--manager-group) is not in the inventory"}},
		{file: "invalid-ansible-password.ini", want: []string{"node1: ansible_password: overlab authenticates with keys", "node2: ansible_connection=winrm"}},
		{file: "invalid-ansible-loopback.ini", want: []string{"node1: ansible_host=127.0.0.1 is a port forward", "overlab_address="}},
		{file: "invalid-ansible-bad-range.ini", want: []string{"line 2", "range [3:1]: 3 comes after 1"}},
		{file: "invalid-ansible-bad-section.ini", want: []string{"line 1", "unknown suffix :hosts"}},
		{file: "invalid-ansible-bad-port.ini", want: []string{"node1: ansible_port=ssh is not a port number"}},
		{file: "invalid-ansible-ssh-args.ini", want: []string{"node1: ansible_ssh_extra_args", `cannot map SSH argument "-o"`}},
		{file: "invalid-ansible-cycle.ini", want: []string{"is its own descendant"}},
		{file: "invalid-ansible-unknown-key.yaml", want: []string{`all: unknown key "host" in a group`}},
		{file: "invalid-ansible-list.yaml", want: []string{"a mapping of groups", "got a list"}},
		{file: "invalid-ansible-huge-range.yaml", want: []string{"expands to more than 1000 hosts"}},
		{file: "invalid-ansible-empty.yaml", want: []string{"the inventory has no hosts"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := Ansible(readFixture(t, tt.file), tt.file, tt.opts)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			for _, frag := range tt.want {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q\ndoes not contain %q", err, frag)
				}
			}
		})
	}
}

func TestExpandHostPattern(t *testing.T) {
	tests := []struct {
		in    string
		hosts []string
		port  string
	}{
		{"node[1:3]", []string{"node1", "node2", "node3"}, ""},
		{"node[01:10:4].lab", []string{"node01.lab", "node05.lab", "node09.lab"}, ""},
		{"db-[a:c]", []string{"db-a", "db-b", "db-c"}, ""},
		{"r[1:2]n[1:2]", []string{"r1n1", "r1n2", "r2n1", "r2n2"}, ""},
		{"host:2222", []string{"host"}, "2222"},
		{"10.0.0.1:22", []string{"10.0.0.1"}, "22"},
		{"fd00::1", []string{"fd00::1"}, ""},
	}
	for _, tt := range tests {
		hosts, port, err := expandHostPattern(tt.in)
		if err != nil || !reflect.DeepEqual(hosts, tt.hosts) || port != tt.port {
			t.Errorf("expandHostPattern(%q) = %v, %q, %v; want %v, %q", tt.in, hosts, port, err, tt.hosts, tt.port)
		}
	}
	for _, bad := range []string{"node[1:", "node1]", "node[1:2:0]", "node[x:1]", "node[1:9999999]", "h:port"} {
		if _, _, err := expandHostPattern(bad); err == nil {
			t.Errorf("expandHostPattern(%q): no error", bad)
		}
	}
}

// fakeRunner answers AddrCommand per host from canned outputs.
type fakeRunner map[string]string

func (f fakeRunner) Run(_ context.Context, h inventory.Host, cmd string) ([]byte, error) {
	if cmd != AddrCommand {
		return nil, errors.New("unexpected command " + cmd)
	}
	out, ok := f[h.Name]
	if !ok {
		return nil, errors.New("connection refused")
	}
	return []byte(out), nil
}

func TestDiscoverAddresses(t *testing.T) {
	real, err := os.ReadFile("testdata/ip-addr-node2.txt")
	if err != nil {
		t.Fatal(err)
	}
	nat := "2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\\       valid_lft 86120sec\n"
	two := string(real) + "5: eth2@if9    inet 192.168.56.99/24 scope global eth2\\ valid_lft forever\n"
	r := fakeRunner{"node2": string(real), "node3": nat, "node4": two}
	subnet := VagrantLabSubnet
	hosts := []inventory.Host{{Name: "node2"}, {Name: "node3"}, {Name: "node4"}, {Name: "node5"}}

	got, err := DiscoverAddresses(context.Background(), r, hosts, subnet)
	if got["node2"] != "192.168.56.12" || len(got) != 1 {
		t.Errorf("addresses = %v", got)
	}
	if err == nil {
		t.Fatal("no error for hosts without a single lab address")
	}
	for _, frag := range []string{
		"node3: no address inside 192.168.56.0/24",
		"node4: several addresses inside 192.168.56.0/24 (192.168.56.12 on eth1, 192.168.56.99 on eth2)",
		"node5: listing addresses: connection refused",
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error %q\ndoes not contain %q", err, frag)
		}
	}
	got, err = DiscoverAddresses(context.Background(), r, hosts[:1], netip.MustParsePrefix("10.0.2.0/24"))
	if err != nil || got["node2"] != "10.0.2.15" {
		t.Errorf("other subnet: %v %v", got, err)
	}
}
