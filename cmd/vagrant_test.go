package cmd

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/inventory"
)

// standin puts testdata/vagrant-standin first on PATH and returns the file
// in which it records its calls.
func standin(t *testing.T) (callLog string) {
	t.Helper()
	dir, err := filepath.Abs("testdata/vagrant-standin")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	callLog = filepath.Join(t.TempDir(), "calls")
	t.Setenv("VAGRANT_STANDIN_LOG", callLog)
	return callLog
}

func calls(t *testing.T, log, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(strings.ReplaceAll(string(data), dir, "$DIR")), "\n")
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Execute(args, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

// labDir is a directory with a Vagrantfile, as the repository's top.
func labDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Vagrantfile"), []byte("# stand-in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestVagrantUpDown(t *testing.T) {
	log := standin(t)
	dir := labDir(t)
	var recorded *inventory.Inventory
	old := recordVagrantHostKeys
	recordVagrantHostKeys = func(_ context.Context, _ *Globals, inv *inventory.Inventory) error {
		recorded = inv
		return nil
	}
	t.Cleanup(func() { recordVagrantHostKeys = old })

	stdout, stderr, code := run(t, "vagrant", "up", "--nodes", "3", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"$DIR|OVERLAB_NODES=3|up", "$DIR|OVERLAB_NODES=3|ssh-config"}
	if got := calls(t, log, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("vagrant calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	invPath := filepath.Join(dir, "overlab.yaml")
	if strings.TrimSpace(stdout) != invPath {
		t.Errorf("stdout %q, want the inventory path %s", stdout, invPath)
	}
	for _, frag := range []string{
		"Bringing machine 'node1' up", // vagrant's progress is streamed
		"wrote the inventory of 3 VMs to " + invPath,
		"recording the VMs' host keys in " + filepath.Join(dir, ".overlab/known_hosts") + " (trusted on first contact, for this lab's file only",
	} {
		if !strings.Contains(stderr, frag) {
			t.Errorf("stderr does not contain %q:\n%s", frag, stderr)
		}
	}
	data, err := os.ReadFile(invPath)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vagrant-up-3.yaml.golden", []byte(strings.ReplaceAll(string(data), dir, "$DIR")))

	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatalf("the written inventory does not load: %v", err)
	}
	if recorded == nil || len(recorded.Hosts) != 3 || recorded.Defaults.KnownHosts != filepath.Join(dir, ".overlab/known_hosts") {
		t.Errorf("host keys were recorded for %+v", recorded)
	}
	if inv.Hosts[0].Role != "manager" || inv.Hosts[2].Address != "192.168.56.13" || inv.Hosts[2].Port != 2201 {
		t.Errorf("inventory: %+v", inv.Hosts)
	}

	// A second up rewrites the inventory it wrote itself.
	if _, stderr, code := run(t, "vagrant", "up", "--nodes", "3", "--dir", dir); code != 0 {
		t.Fatalf("second up: exit %d: %s", code, stderr)
	}

	if err := os.WriteFile(filepath.Join(dir, ".overlab/known_hosts"), []byte("[127.0.0.1]:2222 ssh-ed25519 AAAA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(t, "vagrant", "down", "--dir", dir)
	if code != 0 {
		t.Fatalf("down: exit %d: %s", code, stderr)
	}
	got := calls(t, log, dir)
	if last := got[len(got)-1]; last != "$DIR|OVERLAB_NODES=3|destroy -f" {
		t.Errorf("down ran %q, want destroy -f for the 3 recorded nodes", last)
	}
	for _, p := range []string{invPath, filepath.Join(dir, ".overlab/known_hosts"), vagrantStatePath(dir)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists after down", p)
		}
	}
}

func TestVagrantUpRefusals(t *testing.T) {
	standin(t)
	dir := labDir(t)

	// Not our file: never overwrite the user's overlab.yaml.
	user := filepath.Join(dir, "overlab.yaml")
	if err := os.WriteFile(user, []byte("hosts: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, "vagrant", "up", "--dir", dir)
	if code != 2 || !strings.Contains(stderr, "was not written by overlab vagrant up; pass -o FILE") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}

	_, stderr, code = run(t, "vagrant", "up", "--dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "no Vagrantfile in") {
		t.Errorf("no Vagrantfile: exit %d, stderr %s", code, stderr)
	}

	_, stderr, code = run(t, "vagrant", "up", "--nodes", "0", "--dir", dir)
	if code != 2 || !strings.Contains(stderr, "--nodes 0: use 1 to 20") {
		t.Errorf("--nodes 0: exit %d, stderr %s", code, stderr)
	}

	t.Setenv("VAGRANT_STANDIN_FAIL", "up")
	_, stderr, code = run(t, "vagrant", "up", "--dir", dir, "-o", filepath.Join(dir, "lab.yaml"))
	if code != 2 || !strings.Contains(stderr, "could not be found") || !strings.Contains(stderr, `ERROR: vagrant up: command "vagrant up" exited with code 1`) {
		t.Errorf("failing up: exit %d, stderr %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "lab.yaml")); !os.IsNotExist(err) {
		t.Errorf("an inventory was written although vagrant up failed")
	}

	t.Setenv("PATH", t.TempDir())
	_, stderr, code = run(t, "vagrant", "up", "--dir", dir, "-o", filepath.Join(dir, "lab.yaml"))
	if code != 2 || !strings.Contains(stderr, "vagrant is not installed") {
		t.Errorf("no vagrant: exit %d, stderr %s", code, stderr)
	}
}

func TestInventoryImportVagrant(t *testing.T) {
	// From the plan, to standard output.
	stdout, stderr, code := run(t, "inventory", "import", "vagrant", "testdata/vagrant-standin/ssh-config-3.out",
		"--from-plan", "--known-hosts", "/lab/.overlab/known_hosts")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden(t, "import-vagrant-plan.yaml.golden", []byte(stdout))

	// Discovered over SSH (answered here without SSH), written with -o.
	old := discoverVagrantAddresses
	var asked []inventory.Host
	var subnet netip.Prefix
	discoverVagrantAddresses = func(_ context.Context, _ *Globals, inv *inventory.Inventory, s netip.Prefix) (map[string]string, error) {
		asked, subnet = inv.Hosts, s
		return map[string]string{"node1": "10.9.0.21", "node2": "10.9.0.22", "node3": "10.9.0.23"}, nil
	}
	t.Cleanup(func() { discoverVagrantAddresses = old })
	out := filepath.Join(t.TempDir(), "lab", "inv.yaml")
	_, stderr, code = run(t, "inventory", "import", "vagrant", "testdata/vagrant-standin/ssh-config-3.out", "-o", out, "--lab-subnet", "10.9.0.0/24")
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
	golden(t, "import-ansible.yaml.golden", []byte(stdout))

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
	for _, format := range []string{"yaml", "json"} {
		stdout, stderr, code := run(t, "inventory", "show", "-i", inv, "--format", format)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.Contains(stdout, "not-a-real-key") || strings.Contains(stdout, "PRIVATE KEY") {
			t.Errorf("key contents printed:\n%s", stdout)
		}
		stdout = strings.ReplaceAll(strings.ReplaceAll(stdout, dir, "$DIR"), home, "$HOME")
		golden(t, "inventory-show."+format+".golden", []byte(stdout))
	}
	_, stderr, code := run(t, "inventory", "show", "-i", filepath.Join(dir, "absent.yaml"))
	if code != 2 || !strings.Contains(stderr, "absent.yaml") {
		t.Errorf("missing inventory: exit %d, %s", code, stderr)
	}
}
