package cmd

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/provider"
)

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runWith(t, defaultDeps(), args...)
}

func runWith(t *testing.T, d deps, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(args, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, d)
	return out.String(), errOut.String(), code
}

// fakeHosts is a provider.Hosts that records what the command asked.
type fakeHosts struct {
	flags  vagrantFlags
	calls  []string
	upErr  error
	status []provider.Host
}

func (f *fakeHosts) Up(context.Context) (string, error) {
	f.calls = append(f.calls, "up")
	return "/lab/overlab.yaml", f.upErr
}
func (f *fakeHosts) Down(context.Context) error { f.calls = append(f.calls, "down"); return nil }
func (f *fakeHosts) Status(context.Context) ([]provider.Host, error) {
	f.calls = append(f.calls, "status")
	return f.status, nil
}
func (f *fakeHosts) Inventory() string { return "/lab/overlab.yaml" }

func fakeVagrant(f *fakeHosts) deps {
	d := defaultDeps()
	d.vagrant = func(_ *Globals, fl *vagrantFlags) (provider.Hosts, error) {
		f.flags = *fl
		return f, nil
	}
	return d
}

func TestVagrantCommandsWiring(t *testing.T) {
	f := &fakeHosts{}
	stdout, stderr, code := runWith(t, fakeVagrant(f), "vagrant", "up", "--nodes", "5", "--provider", "libvirt", "--dir", "/lab", "--libvirt-driver", "qemu")
	if code != 0 || strings.TrimSpace(stdout) != "/lab/overlab.yaml" {
		t.Fatalf("up: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if f.flags.nodes != 5 || f.flags.provider != "libvirt" || f.flags.dir != "/lab" || f.flags.driver != "qemu" || f.flags.upTimeout != 45*time.Minute {
		t.Errorf("up flags: %+v", f.flags)
	}

	f = &fakeHosts{upErr: errors.New("vagrant up: boom")}
	if _, stderr, code := runWith(t, fakeVagrant(f), "vagrant", "up"); code != 2 || !strings.Contains(stderr, "ERROR: vagrant up: boom") {
		t.Errorf("failing up: exit %d, %s", code, stderr)
	}

	f = &fakeHosts{}
	if _, stderr, code := runWith(t, fakeVagrant(f), "vagrant", "down", "--nodes", "2"); code != 0 || f.flags.downNodes != 2 || strings.Join(f.calls, ",") != "down" {
		t.Errorf("down: exit %d, %+v, %v: %s", code, f.flags, f.calls, stderr)
	}

	f = &fakeHosts{status: []provider.Host{{Name: "node1", Address: "192.168.56.11", State: "running", Up: true}, {Name: "node2", Address: "192.168.56.12", State: "shutoff"}}}
	stdout, stderr, code = runWith(t, fakeVagrant(f), "vagrant", "status")
	if code != 1 || !strings.Contains(stdout, "node2  192.168.56.12  shutoff") || !strings.Contains(stderr, "1 of 2 hosts of the vagrant cluster are not up") {
		t.Errorf("status: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// The real provider behind the command refuses bad input before it runs
// anything (the vagrant package's tests drive it against a stand-in).
func TestVagrantUpRefusals(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := run(t, "vagrant", "up", "--dir", dir)
	if code != 2 || !strings.Contains(stderr, "no Vagrantfile in") {
		t.Errorf("no Vagrantfile: exit %d, stderr %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "Vagrantfile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(t, "vagrant", "up", "--nodes", "0", "--dir", dir)
	if code != 2 || !strings.Contains(stderr, "--nodes 0: use 1 to 20") {
		t.Errorf("--nodes 0: exit %d, stderr %s", code, stderr)
	}
}

func TestInventoryImportVagrant(t *testing.T) {
	// From the plan, to standard output.
	stdout, stderr, code := run(t, "inventory", "import", "vagrant", "../vagrant/testdata/vagrant-standin/ssh-config-3.out",
		"--from-plan", "--known-hosts", "/lab/.overlab/known_hosts")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Assert(t, "import-vagrant-plan.yaml.golden", []byte(stdout))

	// Discovered over SSH (answered here without SSH), written with -o.
	var asked []inventory.Host
	var subnet netip.Prefix
	d := defaultDeps()
	d.discoverVagrant = func(_ context.Context, _ *Globals, inv *inventory.Inventory, s netip.Prefix) (map[string]string, error) {
		asked, subnet = inv.Hosts, s
		return map[string]string{"node1": "10.9.0.21", "node2": "10.9.0.22", "node3": "10.9.0.23"}, nil
	}
	out := filepath.Join(t.TempDir(), "lab", "inv.yaml")
	_, stderr, code = runWith(t, d, "inventory", "import", "vagrant", "../vagrant/testdata/vagrant-standin/ssh-config-3.out", "-o", out, "--lab-subnet", "10.9.0.0/24")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if subnet.String() != "10.9.0.0/24" || len(asked) != 3 || asked[1].Port != 2200 || asked[1].SSHHost != "127.0.0.1" {
		t.Errorf("discovery asked %+v in %s", asked, subnet)
	}
	kh := filepath.Join(filepath.Dir(out), ".overlab", "known_hosts")
	if !strings.Contains(stderr, "recorded in "+kh+" (that file only)") || !strings.Contains(stderr, "wrote inventory of 3 hosts to "+out) {
		t.Errorf("stderr: %s", stderr)
	}
	inv, err := inventory.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Hosts[2].Address != "10.9.0.23" || inv.Defaults.KnownHosts != kh {
		t.Errorf("written inventory: %+v", inv)
	}

	// From standard input; bad input names where it came from.
	var o, e bytes.Buffer
	code = Execute([]string{"inventory", "import", "vagrant", "-", "--from-plan"}, Streams{In: strings.NewReader("Host node1\n  User vagrant\n"), Out: &o, ErrOut: &e})
	if code != 2 || !strings.Contains(e.String(), "standard input: Host node1: no HostName line") {
		t.Errorf("stdin: exit %d, %s", code, e.String())
	}
}

func TestInventoryImportAnsible(t *testing.T) {
	stdout, stderr, code := run(t, "inventory", "import", "ansible", "../inventory/importer/testdata/valid-ansible-vagrant.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.Assert(t, "import-ansible.yaml.golden", []byte(stdout))

	_, stderr, code = run(t, "inventory", "import", "ansible", "../inventory/importer/testdata/valid-ansible-custom-group.ini", "--manager-group", "nope")
	if code != 2 || !strings.Contains(stderr, "group nope (--manager-group) is not in the inventory; groups: all, leaders, others") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

func TestInventoryShow(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home) // no ~/.ssh/config of the machine running the tests
	t.Setenv("OVERLAB_USER", "ops")
	dir := t.TempDir()
	key := filepath.Join(dir, "id_lab")
	secret := "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n"
	if err := os.WriteFile(key, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "overlab.yaml")
	if err := os.WriteFile(inv, []byte("defaults: {identity_file: id_lab}\nhosts:\n  - {name: n1, address: 10.1.2.3, role: manager}\n  - {name: n2, address: 10.1.2.4, port: 2200, user: admin}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"table", "yaml", "json"} {
		stdout, stderr, code := run(t, "inventory", "show", "-i", inv, "--format", format)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.Contains(stdout, "not-a-real-key") || strings.Contains(stdout, "PRIVATE KEY") {
			t.Errorf("key contents printed:\n%s", stdout)
		}
		stdout = strings.ReplaceAll(strings.ReplaceAll(stdout, dir, "$DIR"), home, "$HOME")
		golden.Assert(t, "inventory-show."+format+".golden", []byte(stdout))
	}
	_, stderr, code := run(t, "inventory", "show", "-i", filepath.Join(dir, "absent.yaml"))
	if code != 2 || !strings.Contains(stderr, "absent.yaml") {
		t.Errorf("missing inventory: exit %d, %s", code, stderr)
	}
}
