package vagrant

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

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

// labDir is a directory with a Vagrantfile, as the repository's top.
func labDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Vagrantfile"), []byte("# stand-in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestUpDownWithStandin(t *testing.T) {
	log := standin(t)
	dir := labDir(t)
	var recorded *inventory.Inventory
	var progress strings.Builder
	var tornDown string
	p := New(
		WithProgress(&progress),
		WithHostKeys(func(_ context.Context, inv *inventory.Inventory) error { recorded = inv; return nil }),
		WithTeardown(func(_ context.Context, inv string) error { tornDown = inv; return nil }),
	)
	c := Cluster{Dir: dir, Nodes: 3}
	if _, err := p.Up(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	want := []string{"$DIR|OVERLAB_NODES=3|up", "$DIR|OVERLAB_NODES=3|ssh-config"}
	if got := calls(t, log, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("vagrant calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(progress.String(), "Bringing machine 'node1' up") {
		t.Errorf("vagrant's progress was not streamed: %q", progress.String())
	}
	invPath := filepath.Join(dir, "overlab.yaml")
	data, err := os.ReadFile(invPath)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "vagrant-up-3.yaml.golden", []byte(strings.ReplaceAll(string(data), dir, "$DIR")))
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatalf("the written inventory does not load: %v", err)
	}
	if recorded == nil || len(recorded.Hosts) != 3 || recorded.Defaults.KnownHosts != c.KnownHosts() {
		t.Errorf("host keys were recorded for %+v", recorded)
	}
	if inv.Hosts[0].Role != "manager" || inv.Hosts[2].Address != "192.168.56.13" || inv.Hosts[2].Port != 2201 {
		t.Errorf("inventory: %+v", inv.Hosts)
	}
	if got := p.Inventory(c); got != invPath {
		t.Errorf("Inventory() = %q, want %s", got, invPath)
	}

	// A second up rewrites the inventory it wrote itself.
	if _, err := p.Up(context.Background(), c); err != nil {
		t.Fatalf("second up: %v", err)
	}
	if err := os.WriteFile(c.KnownHosts(), []byte("[127.0.0.1]:2222 ssh-ed25519 AAAA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Down(context.Background(), Cluster{Dir: dir}, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	got := calls(t, log, dir)
	if last := got[len(got)-1]; last != "$DIR|OVERLAB_NODES=3|destroy -f" {
		t.Errorf("down ran %q, want destroy -f for the 3 recorded nodes", last)
	}
	if tornDown != invPath {
		t.Errorf("the lab on %q was torn down, want %s", tornDown, invPath)
	}
	for _, path := range []string{invPath, c.KnownHosts(), c.statePath()} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s still exists after down", path)
		}
	}
}

func TestUpRefusals(t *testing.T) {
	standin(t)
	dir := labDir(t)
	ctx := context.Background()
	p := New()

	user := filepath.Join(dir, "overlab.yaml")
	if err := os.WriteFile(user, []byte("hosts: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    Cluster
		want string
	}{
		{"not our inventory", Cluster{Dir: dir, Nodes: 3}, "was not written by overlab vagrant up; pass -o FILE"},
		{"no Vagrantfile", Cluster{Dir: t.TempDir(), Nodes: 3}, "no Vagrantfile in"},
		{"no nodes", Cluster{Dir: dir, Nodes: 0, Output: filepath.Join(dir, "x.yaml")}, "--nodes 0: use 1 to 20"},
		{"bad provider", Cluster{Dir: dir, Nodes: 1, Provider: "vmware", Output: filepath.Join(dir, "x.yaml")}, `--provider "vmware"`},
		{"relative dir", Cluster{Dir: "lab", Nodes: 1}, "want an absolute path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := p.Up(ctx, tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}

	// A failing vagrant up leaves no inventory and destroys what it made.
	log := standin(t)
	t.Setenv("VAGRANT_STANDIN_FAIL", "up")
	out := filepath.Join(dir, "lab.yaml")
	_, err := p.Up(ctx, Cluster{Dir: dir, Nodes: 3, Output: out})
	if err == nil || !strings.Contains(err.Error(), `vagrant up: command "vagrant up" exited with code 1`) {
		t.Errorf("failing up: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an inventory was written although vagrant up failed")
	}
	if got := calls(t, log, dir); got[len(got)-1] != "$DIR|OVERLAB_NODES=3|destroy -f" {
		t.Errorf("after a failed up vagrant ran %v, want a destroy last", got)
	}

	t.Setenv("PATH", t.TempDir())
	if _, err := p.Up(ctx, Cluster{Dir: dir, Nodes: 1, Output: out}); err == nil || !strings.Contains(err.Error(), "vagrant is not installed") {
		t.Errorf("no vagrant: %v", err)
	}
}

func TestStatus(t *testing.T) {
	standin(t)
	dir := labDir(t)
	p := New()
	c := Cluster{Dir: dir, Nodes: 3}
	if _, err := p.Status(context.Background(), c); err == nil || !strings.Contains(err.Error(), "no VMs of overlab vagrant up") {
		t.Errorf("status before up: %v", err)
	}
	if _, err := p.Up(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	ms, err := p.Status(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := []Machine{{"node1", "running"}, {"node2", "running"}, {"node3", "shutoff"}}
	if len(ms) != 3 || ms[0] != want[0] || ms[1] != want[1] || ms[2] != want[2] || ms[2].Running() {
		t.Errorf("status %+v, want %+v", ms, want)
	}
}

// TestCapturedRace is run with -race (make test does): vagrant's stdout
// and stderr are copied by two goroutines into one record.
func TestCapturedRace(t *testing.T) {
	script := `for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo out$i; echo err$i >&2; done`
	out, err := captured(exec.Command("sh", "-c", script), []string{"sh"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(out), "out") != 20 || strings.Contains(string(out), "err") {
		t.Errorf("stdout: %q", out)
	}
	_, err = captured(exec.Command("sh", "-c", script+"; exit 3"), []string{"sh"})
	var ce *execx.CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 || strings.Count(string(ce.Output), "err") != 20 || strings.Count(string(ce.Output), "out") != 20 {
		t.Errorf("a failure carries both streams: %v", err)
	}
}

// TestLibvirtUpDownRecordsAndRemoves drives the libvirt path with the
// stand-in and a fake runner: what the Vagrantfile is told, what is
// recorded before the VMs start, and that down removes it.
func TestLibvirtUpDownRecordsAndRemoves(t *testing.T) {
	log := standin(t)
	dir := labDir(t)
	home := t.TempDir()
	t.Setenv("VAGRANT_HOME", home)
	boxDir := filepath.Join(home, "boxes", "overlab-VAGRANTSLASH-debian12", "0", "libvirt")
	if err := os.MkdirAll(boxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"vmlinuz", "initrd"} {
		if err := os.WriteFile(filepath.Join(boxDir, f), []byte(f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := &fakeHost{fail: []string{"virsh -c qemu:///system pool-info", "virsh -c qemu:///system net-info"}}
	root := t.TempDir()
	p := New(WithRunner(f.run), WithPoolPath(filepath.Join(root, "pool")), WithLibvirtDriver("qemu"))
	c := Cluster{Dir: dir, Nodes: 3, Provider: "libvirt"}
	inv, err := p.Up(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	boot := filepath.Join(root, "vagrant-boot")
	wantEnv := "env|overlab/debian12|overlab|overlab-mgmt|" + boot + "|qemu|1"
	got := strings.Join(calls(t, log, dir), "\n")
	if !strings.Contains(got, wantEnv) || !strings.Contains(got, "$DIR|OVERLAB_NODES=3|up --provider libvirt") {
		t.Errorf("vagrant calls:\n%s\nwant the environment %s and up --provider libvirt", got, wantEnv)
	}
	if data, err := os.ReadFile(filepath.Join(boot, "vmlinuz")); err != nil || string(data) != "vmlinuz" {
		t.Errorf("the box's kernel was not copied where qemu reads it: %v", err)
	}
	if inv.Defaults.TimeScale != 4 {
		t.Errorf("time_scale %v, want 4 under TCG", inv.Defaults.TimeScale)
	}
	s, err := readState(c)
	if err != nil || s.Libvirt == nil || !s.Libvirt.Pool || !s.Libvirt.Firewall || len(s.Libvirt.Networks) != 2 || s.Libvirt.BootDir != boot {
		t.Fatalf("recorded %+v, %v", s, err)
	}

	f.ran = nil
	if err := p.Down(context.Background(), c, 0); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"virsh -c qemu:///system net-undefine overlab-lab",
		"virsh -c qemu:///system net-undefine overlab-mgmt",
		"virsh -c qemu:///system pool-undefine overlab",
		"iptables -w -X OVERLAB-VM",
		"ip6tables -w -X OVERLAB-VM",
	} {
		if f.has(want) < 0 {
			t.Errorf("down did not run %q; it ran:\n%s", want, strings.Join(f.ran, "\n"))
		}
	}
	if _, err := os.Stat(boot); !os.IsNotExist(err) {
		t.Errorf("%s is still there", boot)
	}
	if _, err := os.Stat(c.statePath()); !os.IsNotExist(err) {
		t.Errorf("the record is still there after a clean down")
	}
}

// A down with nothing recorded and no machine Vagrant knows is a no-op: a
// failed up already removed what it made.
func TestDownWithNothingThere(t *testing.T) {
	log := standin(t)
	dir := labDir(t)
	if err := New().Down(context.Background(), Cluster{Dir: dir}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Errorf("vagrant was run: %v", calls(t, log, dir))
	}
}
