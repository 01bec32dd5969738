package inventory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// offline resolves only "localhost" and "web1.example", so that tests never
// ask a DNS server.
func offline(_ context.Context, name string) ([]string, error) {
	switch name {
	case "localhost":
		return []string{"127.0.0.1"}, nil
	case "web1.example":
		return []string{"192.0.2.41"}, nil
	}
	return nil, errors.New("no such host (test resolver)")
}

func validateOpts() []ValidateOption {
	home, _ := filepath.Abs("testdata/home")
	return []ValidateOption{WithLookup(offline), ValidateHome(home)}
}

// exampleHosts is what valid-example.{yaml,json,toml} decode to.
var exampleInventory = Inventory{
	Defaults: Defaults{User: "root", Port: 22, IdentityFile: "~/.ssh/id_ed25519",
		KnownHosts: "~/.ssh/known_hosts", DockerSocket: "/var/run/docker.sock"},
	Hosts: []Host{
		{Name: "node1", Address: "192.168.56.11", Role: "manager"},
		{Name: "node2", Address: "192.168.56.12", Role: "worker", MacvlanParent: "eth1", Labels: map[string]string{"zone": "b"}},
		{Name: "node3", Address: "192.168.56.13", SSHHost: "127.0.0.1", Port: 2201},
	},
}

func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range envKeys {
		name := EnvPrefix + strings.ToUpper(k)
		if old, ok := os.LookupEnv(name); ok {
			os.Unsetenv(name)
			t.Cleanup(func() { os.Setenv(name, old) })
		}
	}
}

func TestLoadValid(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		file string
		want *Inventory // nil: only check that it loads and validates
	}{
		{file: "valid-example.yaml", want: &exampleInventory},
		{file: "valid-example.json", want: &exampleInventory},
		{file: "valid-example.toml", want: &exampleInventory},
		{file: "valid-minimal.yaml", want: &Inventory{Hosts: []Host{{Name: "solo", Address: "10.42.0.2", Role: "manager"}}}},
		{file: "valid-names-labels.yaml", want: &Inventory{Hosts: []Host{
			{Name: "web1.lab", Address: "web1.example", Role: "manager", Labels: map[string]string{"com.example.zone": "a", "rack": "7"}},
			{Name: "web2_lab", Address: "fd00::2", ProxyJump: "admin@bastion:2222", IdentityFile: "keys/id"},
		}}},
		{file: "valid-sshconfig.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			inv, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if inv.Source != path {
				t.Errorf("Source = %q, want %q", inv.Source, path)
			}
			if tt.want != nil {
				want := *tt.want
				want.Source = path
				if !reflect.DeepEqual(*inv, want) {
					t.Errorf("decoded\n%+v\nwant\n%+v", *inv, want)
				}
			}
			if err := inv.Validate(validateOpts()...); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		file string
		// fragments of Load's error, or nil when Load succeeds and Validate
		// must fail with validate's fragments.
		load     []string
		validate []string
		problems int // how many problems Validate reports
	}{
		{file: "invalid-unknown-key.yaml", load: []string{"testdata/invalid-unknown-key.yaml", "unknown key hosts[1].adress", "allowed there: name, address"}},
		{file: "invalid-unknown-top.yaml", load: []string{"unknown key host ", "allowed there: defaults, hosts"}},
		{file: "invalid-unknown-defaults.json", load: []string{"invalid-unknown-defaults.json", "unknown key defaults.usr", "allowed there: user, port"}},
		{file: "invalid-unknown-key.toml", load: []string{"invalid-unknown-key.toml", "unknown key hosts[0].roles"}},
		{file: "invalid-uppercase-key.yaml", load: []string{"key hosts[0].Name: keys are lower case", `write "name"`}},
		{file: "invalid-uppercase-label.yaml", load: []string{"key hosts[0].labels.Zone"}},
		{file: "invalid-port-type.yaml", load: []string{"invalid-port-type.yaml", "hosts[0].port", "twenty-two"}},
		{file: "invalid-hosts-type.yaml", load: []string{"invalid-hosts-type.yaml", "hosts"}},
		{file: "invalid-syntax.yaml", load: []string{"invalid-syntax.yaml", "parsing yaml"}},
		{file: "invalid-syntax.toml", load: []string{"invalid-syntax.toml", "parsing toml"}},
		{file: "invalid-empty.yaml", validate: []string{"testdata/invalid-empty.yaml: hosts: hosts: the list is empty"}, problems: 1},
		{file: "invalid-no-manager.yaml", validate: []string{"invalid-no-manager.yaml: hosts: role: no host has role: manager"}, problems: 1},
		{file: "invalid-many.yaml", problems: 18, validate: []string{
			"invalid inventory, 18 problems",
			"invalid-many.yaml: defaults: identity_file: cannot read /", "testdata/home/.ssh/missing_key: no such file",
			"hosts[0] (node1): role: \"leader\" is not a role; use manager or worker",
			"hosts[1] (node1): name: \"node1\" is also the name of hosts[0]",
			"hosts[1] (node1): address: 192.168.56.11 is also the address of hosts[0] (node1)",
			"hosts[1] (node1): port: 70000 is out of range",
			"hosts[2]: name: missing",
			"hosts[2]: address: \"192.168.56.300\" is neither an IP address nor a host name",
			"hosts[2]: identity_file: cannot read /nonexistent/id_rsa: no such file or directory",
			"hosts[3] (node4): address: \"no-such-host.invalid\" does not resolve",
			"hosts[3] (node4): labels: key \"-bad\" is not a valid label key",
			"hosts[3] (node4): labels: key \"a_b\" is not a valid label key",
			"hosts[4] (node5): address: \"10.0.0.0/24\" is a network",
			"hosts[4] (node5): docker_socket: \"var/run/docker.sock\" is not an absolute path",
			"hosts[4] (node5): macvlan_parent: \"eth 1\" is not an interface name",
			"hosts[5] (bad name!): name: \"bad name!\" is not a plain name",
			"hosts[5] (bad name!): address: missing",
			"hosts[6] (node6): macvlan_parent: \"a;id>pw1\" is not an interface name: use letters, digits",
			"hosts: role: no host has role: manager",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			inv, err := Load(path)
			if tt.load != nil {
				if err == nil {
					t.Fatalf("Load succeeded, want an error containing %q", tt.load)
				}
				for _, frag := range tt.load {
					if !strings.Contains(err.Error(), frag) {
						t.Errorf("Load error %q\ndoes not contain %q", err, frag)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = inv.Validate(validateOpts()...)
			if err == nil {
				t.Fatalf("Validate succeeded, want errors containing %q", tt.validate)
			}
			for _, frag := range tt.validate {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("Validate error\n%s\ndoes not contain %q", err, frag)
				}
			}
			if got := len(multierrorOf(t, err)); got != tt.problems {
				t.Errorf("Validate reported %d problems, want %d:\n%s", got, tt.problems, err)
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	clearEnv(t)
	t.Setenv("OVERLAB_USER", "ops")
	t.Setenv("OVERLAB_PORT", "2022")
	t.Setenv("OVERLAB_IDENTITY_FILE", "~/.ssh/id_node1")
	t.Setenv("OVERLAB_KNOWN_HOSTS", "/tmp/lab_known_hosts")
	t.Setenv("OVERLAB_DOCKER_SOCKET", "/run/user/1000/docker.sock")
	for _, file := range []string{"valid-example.yaml", "valid-minimal.yaml", "valid-example.toml"} {
		t.Run(file, func(t *testing.T) {
			inv, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			want := Defaults{User: "ops", Port: 2022, IdentityFile: "~/.ssh/id_node1",
				KnownHosts: "/tmp/lab_known_hosts", DockerSocket: "/run/user/1000/docker.sock"}
			if inv.Defaults != want {
				t.Errorf("defaults = %+v, want %+v", inv.Defaults, want)
			}
			hosts, err := inv.Resolve(WithoutSSHConfig(), WithHome("/home/x"))
			if err != nil {
				t.Fatal(err)
			}
			h := hosts[0]
			if h.User != "ops" || h.Port != 2022 || h.IdentityFile != "/home/x/.ssh/id_node1" {
				t.Errorf("resolved host = %+v", h)
			}
		})
	}
	t.Run("bad port", func(t *testing.T) {
		t.Setenv("OVERLAB_PORT", "ssh")
		_, err := Load("testdata/valid-minimal.yaml")
		if err == nil || !strings.Contains(err.Error(), `OVERLAB_PORT="ssh"`) || strings.Contains(err.Error(), "defaults.port") {
			t.Errorf("err = %v, want an error naming OVERLAB_PORT, not the file's defaults.port", err)
		}
	})
}

func TestResolve(t *testing.T) {
	clearEnv(t)
	home, err := filepath.Abs("testdata/home")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Load("testdata/valid-sshconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(home, ".ssh/known_hosts")
	sock := DefaultDockerSocket
	want := []Host{
		{Name: "node1", Address: "192.168.56.11", Role: "manager", SSHHost: "10.1.0.11", User: "alice", Port: 2222,
			IdentityFile: filepath.Join(home, ".ssh/id_node1"), KnownHosts: known, DockerSocket: sock, ProxyJump: "bastion"},
		{Name: "node2", Address: "192.168.56.12", Role: "worker", User: "bob", Port: 2200,
			IdentityFile: filepath.Join(home, ".ssh/lab key"), KnownHosts: known, DockerSocket: sock},
		{Name: "node3", Address: "10.9.9.9", Role: "worker", SSHHost: "10.1.0.50", User: "root", Port: 22,
			KnownHosts: known, DockerSocket: sock},
		{Name: "node4", Address: "10.9.9.8", Role: "worker", User: "root", Port: 22,
			IdentityFile: "testdata/keys/id", KnownHosts: known, DockerSocket: sock, ProxyJump: "jump@gw"},
	}
	got, err := inv.Resolve(WithSSHConfig("testdata/ssh_config"), WithHome(home))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			if i < len(want) && !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("host %d\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
	}
	if got[1].DialHost() != "192.168.56.12" || got[0].DialHost() != "10.1.0.11" {
		t.Errorf("DialHost: %q %q", got[0].DialHost(), got[1].DialHost())
	}

	// Explicit defaults win over ssh_config too.
	inv.Defaults = Defaults{User: "root", Port: 22}
	got, err = inv.Resolve(WithSSHConfig("testdata/ssh_config"), WithHome(home))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].User != "root" || got[0].Port != 22 || got[0].SSHHost != "10.1.0.11" {
		t.Errorf("with defaults: %+v", got[0])
	}

	// Without ssh_config only the built-in defaults apply.
	got, err = (&Inventory{Hosts: inv.Hosts[:1]}).Resolve(WithoutSSHConfig(), WithHome(home))
	if err != nil {
		t.Fatal(err)
	}
	if w := (Host{Name: "node1", Address: "192.168.56.11", Role: "manager", User: "root", Port: 22, KnownHosts: known, DockerSocket: sock}); !reflect.DeepEqual(got[0], w) {
		t.Errorf("without ssh_config\n got %+v\nwant %+v", got[0], w)
	}

	// A missing explicit ssh_config is an error; a missing ~/.ssh/config is not.
	if _, err := inv.Resolve(WithSSHConfig("testdata/nonexistent")); err == nil {
		t.Error("missing explicit ssh_config: no error")
	}
	if _, err := inv.Resolve(WithHome(t.TempDir())); err != nil {
		t.Errorf("missing ~/.ssh/config: %v", err)
	}
}

func TestResolveBadSSHConfigPort(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("Host n1\n  Port ssh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := &Inventory{Hosts: []Host{{Name: "n1", Address: "10.0.0.1", Role: "manager"}}}
	_, err := inv.Resolve(WithSSHConfig(cfg))
	if err == nil || !strings.Contains(err.Error(), cfg) || !strings.Contains(err.Error(), `Port "ssh"`) {
		t.Errorf("err = %v, want one naming %s and the port", err, cfg)
	}
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	local := filepath.Join(dir, "local.yaml")
	if got := DefaultPath(local); got != DefaultFile {
		t.Errorf("nothing exists: %q", got)
	}
	if err := os.WriteFile(local, []byte("hosts: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := DefaultPath(filepath.Join(dir, "absent.yaml"), local); got != local {
		t.Errorf("local inventory: %q", got)
	}
	if err := os.WriteFile(DefaultFile, []byte("hosts: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := DefaultPath(local); got != DefaultFile {
		t.Errorf("overlab.yaml present: %q", got)
	}
}

func TestExpandTokens(t *testing.T) {
	got := expandTokens("%d/.ssh/%r@%h_%u%%%x", "node1", "vagrant", "/home/me", "me")
	if want := "/home/me/.ssh/vagrant@node1_me%%x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLoadErrorsNameTheLine(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct{ doc, want string }{
		// The mistake is on line 4: a key indented less than its siblings.
		{"defaults:\n  user: ops\nhosts:\n  - name: node1\n   address: 10.0.0.1\n", "line 5"},
		{"hosts:\n  - name: node1\n    address: 10.0.0.1\n\n    adress: 10.0.0.2\n", "line 5: unknown key hosts[0].adress"},
		{"hosts:\n  - name: node1\n    port: twenty-two\n", `line 3: hosts[0].port: "twenty-two" is not a number`},
	} {
		path := filepath.Join(t.TempDir(), "overlab.yaml")
		if err := os.WriteFile(path, []byte(tc.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestValidateRefusesAddressesNoOtherHostCanReach(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1":   "loopback",
		"::1":         "loopback",
		"0.0.0.0":     "unspecified",
		"224.0.0.251": "multicast",
		"localhost":   "loopback",
	} {
		inv := &Inventory{Hosts: []Host{{Name: "node1", Address: addr, Role: RoleManager}}}
		lookup := WithLookup(func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil })
		err := inv.Validate(lookup)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "address") {
			t.Errorf("address %s: got %v, want it refused as %s", addr, err, want)
		}
	}
}

func TestValidateCapsTheHostCount(t *testing.T) {
	inv := &Inventory{}
	for i := range MaxHosts + 1 {
		inv.Hosts = append(inv.Hosts, Host{Name: fmt.Sprintf("n%d", i), Address: fmt.Sprintf("10.%d.%d.1", i/250, i%250), Role: RoleManager})
	}
	err := inv.Validate(WithLookup(offline))
	if err == nil || !strings.Contains(err.Error(), "1001 hosts: overlab works on at most 1000") {
		t.Errorf("1001 hosts: %v", err)
	}
}
