//go:build vm

package vagrant_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/internal/testenv"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/results"
)

// TestVagrantLibvirtEndToEnd is overlab on real VMs with their own
// kernels: the box (built or cached), `overlab vagrant up --nodes 3` through
// Vagrant and libvirt on qemu (TCG where there is no hardware
// virtualization), the swarm lab, the labs that need a real kernel, a cut
// link, the fault labs, and a teardown that leaves nothing. It runs alone, from `make
// test-vm` (build tag vm): it takes many minutes on two cores.
func TestVagrantLibvirtEndToEnd(t *testing.T) {
	requireVMHost(t)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildOverlab(t, repo)
	figures := map[string]string{}
	t.Cleanup(func() { // registered first, so it runs last: after vagrant down
		for _, k := range []string{"vagrant-box", "vagrant up", "up", "check", "down", "vagrant down", "rss"} {
			if v, ok := figures[k]; ok {
				t.Logf("FIGURE %s: %s", k, v)
			}
		}
	})

	t0 := time.Now()
	run(t, repo, nil, filepath.Join(repo, "scripts", "vagrant-box.sh"))
	figures["vagrant-box"] = since(t0)

	dir := t.TempDir()
	copyFile(t, filepath.Join(repo, "Vagrantfile"), filepath.Join(dir, "Vagrantfile"))
	ov := func(args ...string) (string, int) {
		return overlab(t, bin, dir, args...)
	}
	before := hostSnapshot(t)
	t.Cleanup(func() {
		t0 := time.Now()
		if out, code := ov("vagrant", "down", "--dir", dir); code != 0 {
			t.Errorf("overlab vagrant down: exit %d\n%s", code, out)
		}
		figures["vagrant down"] = since(t0)
		assertNothingLeft(t, before)
	})

	t0 = time.Now()
	out, code := ov("vagrant", "up", "--nodes", "3", "--provider", "libvirt", "--dir", dir)
	if code != 0 {
		t.Fatalf("overlab vagrant up: exit %d\n%s", code, out)
	}
	figures["vagrant up"] = since(t0)
	inv := filepath.Join(dir, "overlab.yaml")
	figures["rss"] = qemuRSS(t)
	vms := loadVMs(t, inv)
	for _, vm := range vms {
		assertIsolated(t, vm)
	}

	// The swarm lab: every probe as expected.
	t0 = time.Now()
	if out, code := ov("up", "-i", inv); code != 0 {
		t.Fatalf("overlab up: exit %d\n%s", code, out)
	}
	figures["up"] = since(t0)
	t0 = time.Now()
	doc := check(t, ov, inv, "swarm", 0)
	figures["check"] = fmt.Sprintf("%s (%d probes)", since(t0), doc.Summary.Total)

	// A cut link: node3's lab NIC down; exactly the probes between node3
	// and another host fail. SSH uses the management network and stays.
	cut := vms[2]
	nic := cut.labIface(t) // while it has its address: a NIC down may lose it
	cut.ssh(t, "sudo ip link set dev "+nic+" down")
	doc = check(t, ov, inv, "swarm", 1)
	assertOnlyPairsOf(t, doc, cut.name)
	cut.ssh(t, "sudo ip link set dev "+nic+" up")

	t0 = time.Now()
	if out, code := ov("down", "-i", inv); code != 0 {
		t.Fatalf("overlab down: exit %d\n%s", code, out)
	}
	figures["down"] = since(t0)
	for _, vm := range vms {
		got := vm.ssh(t, "docker info --format '{{.Swarm.LocalNodeState}}'; docker ps -aq; docker network ls --format '{{.Name}}' | grep '^overlab' || true")
		if strings.TrimSpace(got) != "inactive" {
			t.Errorf("%s after overlab down: want no swarm, container or overlab network, got %q", vm.name, got)
		}
	}

	// The labs that need a real kernel, each up, checked and down, and the
	// labs that teach per engine generation (this box's: Debian 12, 20.10).
	for _, name := range []string{"vip", "ingress", "encrypted", "macvlan-vlan", "ipvlan", "direct-routing", "ipv6"} {
		t.Run(name, func(t *testing.T) {
			t0 := time.Now()
			defer func() { // also after a failed up: it may have made part of the lab
				if out, code := ov("down", "-i", inv, "--lab", name); code != 0 {
					t.Errorf("down: exit %d\n%s", code, out)
				}
			}()
			if out, code := ov("up", "-i", inv, "--lab", name); code != 0 {
				t.Fatalf("up: exit %d\n%s", code, out)
			}
			doc := check(t, ov, inv, name, 0)
			if name == "encrypted" {
				// ESP is the evidence: traffic passing is not enough.
				for _, vm := range vms {
					if n := strings.Count(vm.ssh(t, "sudo ip xfrm state"), "proto esp"); n < 2 {
						t.Errorf("%s: %d ESP SAs in ip xfrm state, want at least 2 (one each way per peer)", vm.name, n)
					}
				}
			}
			if name == "vip" {
				out := vms[0].ssh(t, "docker service inspect -f '{{.Spec.EndpointSpec.Mode}} {{len .Endpoint.VirtualIPs}}' overlab-vip-web")
				if !strings.HasPrefix(strings.TrimSpace(out), "vip ") || strings.HasSuffix(strings.TrimSpace(out), " 0") {
					t.Errorf("overlab-vip-web endpoint: %q, want mode vip with a virtual IP", out)
				}
			}
			labAssertsVM(t, vms, name, doc)
			if out, code := ov("down", "-i", inv, "--lab", name); code != 0 {
				t.Errorf("down: exit %d\n%s", code, out)
			}
			labGoneVM(t, vms, name)
			t.Logf("lab %s: %d probes as expected in %s", name, doc.Summary.Total, since(t0))
		})
	}

	// The fault labs, each through lab run as a teacher runs it: up, the
	// lab's faults, the check with the matrix and diagnoses the lab
	// expects, the heal, down; then nothing of the faults on any VM.
	for _, name := range []string{"vxlan-blocked", "gossip-blocked", "mtu-mismatch", "host-cut"} {
		t.Run(name, func(t *testing.T) {
			t0 := time.Now()
			file := filepath.Join(t.TempDir(), "run.json")
			out, code := ov("lab", "run", name, "-i", inv, "--json", file)
			if code != 0 {
				t.Errorf("lab run %s: exit %d, want 0\n%s", name, code, out)
			}
			if doc := readDoc(t, file); doc != nil {
				assertFaultRun(t, doc)
			}
			for _, vm := range vms {
				assertNoFault(t, vm)
			}
			t.Logf("fault lab %s in %s", name, since(t0))
		})
	}
}

func readDoc(t *testing.T, file string) *results.Document {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Errorf("no result document: %v", err)
		return nil
	}
	var doc results.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

// assertFaultRun: every fault made and healed, every expected diagnosis
// made and no other, and the faults broke probes as the lab expects.
func assertFaultRun(t *testing.T, doc *results.Document) {
	t.Helper()
	if doc.Faults == nil || len(doc.Faults.Faults) == 0 {
		t.Fatal("no faults in the document")
	}
	for _, f := range doc.Faults.Faults {
		if f.Error != "" || !f.Healed {
			t.Errorf("fault on %s (%s): error %q, healed %v %s", f.Host, f.What, f.Error, f.Healed, f.HealError)
		}
	}
	for _, d := range doc.Faults.Diagnoses {
		if !d.Found {
			t.Errorf("diagnosis %s %v not made: %s", d.Pattern, d.Hosts, d.Got)
		}
	}
	for _, u := range doc.Faults.Unexpected {
		t.Errorf("diagnosis the lab does not expect: %s", u)
	}
	broken := 0
	for _, p := range doc.Probes {
		if !p.OK {
			t.Errorf("%s %s→%s %s: %s", p.Network, p.From, p.To, p.Kind, p.Error)
		}
		if p.OK && p.Broken() {
			broken++
		}
	}
	if broken == 0 {
		t.Error("the faults broke no probe")
	}
}

// assertNoFault: no OVERLAB-FAULT chain, no overlab nft table, no fault
// record, and the lab interface up with its MTU of 1500.
func assertNoFault(t *testing.T, v vm) {
	t.Helper()
	nic := v.labIface(t)
	// One root shell, whose failure fails the test; sudo's own complaint
	// about the VM's hostname (stderr) is no part of what it says.
	script := "iptables -w 5 -S | grep -c OVERLAB-FAULT || true; " +
		"if command -v nft >/dev/null; then nft list tables | grep -c overlab || true; else echo 0; fi; " +
		"ls /var/run/overlab-faults 2>/dev/null | wc -l; ip -o link show dev " + nic + ` | grep -o "mtu [0-9]*" | cut -d" " -f2; ` +
		"ip -o link show dev " + nic + ` | grep -c "state UP"`
	got := strings.Fields(v.ssh(t, "sudo sh -c '"+script+"' 2>/dev/null"))
	if strings.Join(got, " ") != "0 0 0 1500 1" {
		t.Errorf("%s after a fault lab: %q (chain rules, nft tables, records, %s MTU, up); want 0 0 0 1500 1", v.name, got, nic)
	}
}

// requireVMHost skips without root or the VM tools, and fails instead
// under CI=true: CI must run this test, never skip it.
func requireVMHost(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root (libvirt, iptables)"
	}
	for _, c := range []string{"vagrant", "virsh", "libvirtd", "qemu-system-x86_64", "qemu-img", "mmdebstrap", "iptables"} {
		if _, err := exec.LookPath(c); err != nil && why == "" {
			why = c + " is missing (make setup-test installs it)"
		}
	}
	if why == "" {
		return
	}
	testenv.SkipOrFail(t, "VM end-to-end test cannot run: "+why)
}

func buildOverlab(t *testing.T, repo string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "overlab")
	c := exec.Command("go", "build", "-o", bin, "./cmd/overlab")
	c.Dir = repo
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// overlab runs the CLI as a user would and returns what it printed.
func overlab(t *testing.T, bin, dir string, args ...string) (string, int) {
	t.Helper()
	c := exec.Command(bin, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "OVERLAB_RESULTS="+filepath.Join(dir, "results"))
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	t.Logf("overlab %s: exit %d\n%s", strings.Join(args, " "), code, tail(out.String(), 40))
	return out.String(), code
}

// check runs overlab check and wants exit code want; with 0 every probe
// must be as expected.
func check(t *testing.T, ov func(...string) (string, int), inv, lab string, want int) *results.Document {
	t.Helper()
	file := filepath.Join(t.TempDir(), "check.json")
	out, code := ov("check", "-i", inv, "--lab", lab, "--json", file)
	if code != want {
		t.Fatalf("check --lab %s: exit %d, want %d\n%s", lab, code, want, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc results.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Total == 0 {
		t.Fatalf("check --lab %s ran no probe: %+v", lab, doc.Findings)
	}
	return &doc
}

// assertOnlyPairsOf wants the failed probes to be exactly those between
// host and another host. A name lookup from the cut host itself is the one
// exception: its own engine answers it from what it last learned, so it may
// pass or fail.
func assertOnlyPairsOf(t *testing.T, doc *results.Document, host string) {
	t.Helper()
	failed := 0
	for _, p := range doc.Probes {
		involved := (p.From == host || p.To == host) && p.From != p.To
		if !p.OK {
			failed++
		}
		switch {
		case p.Kind == "dns" && (p.From == host || p.To == host):
			// A name is answered by the source's own engine, from its
			// gossip view of the swarm: the cut host's task stays in it
			// until gossip gives the host up, seconds later or not yet
			// when the probe asks. Either answer is right; the path itself
			// is proven by icmp, tcp and udp, which must fail.
		case p.OK == involved:
			t.Errorf("%s %s→%s %s: ok %v, but with %s cut it should be %v", p.Network, p.From, p.To, p.Kind, p.OK, host, !involved)
		}
	}
	if failed == 0 {
		t.Errorf("no probe failed with %s's lab link down", host)
	}
	t.Logf("%s cut: %d of %d probes failed, all of them %s's pairs", host, failed, doc.Summary.Total, host)
}

type vm struct {
	name, sshHost, user, key, knownHosts string
	port                                 int
}

func loadVMs(t *testing.T, path string) []vm {
	t.Helper()
	inv, err := inventory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []vm
	for _, h := range inv.Hosts {
		out = append(out, vm{name: h.Name, sshHost: h.DialHost(), user: h.User, key: h.IdentityFile, knownHosts: inv.Defaults.KnownHosts, port: h.Port})
	}
	if len(out) != 3 {
		t.Fatalf("inventory has %d hosts, want 3", len(out))
	}
	return out
}

// ssh runs a command on the VM with its host key checked against the
// lab's known_hosts, which overlab vagrant up recorded.
func (v vm) ssh(t *testing.T, command string) string {
	t.Helper()
	port := v.port
	if port == 0 {
		port = 22
	}
	c := exec.Command("ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+v.knownHosts,
		"-o", "ConnectTimeout=20", "-i", v.key, "-p", strconv.Itoa(port), v.user+"@"+v.sshHost, command)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s$ %s: %v\n%s", v.name, command, err, out)
	}
	return string(out)
}

// labIface is the VM's interface on the lab network 192.168.56.0/24.
func (v vm) labIface(t *testing.T) string {
	t.Helper()
	f := strings.Fields(v.ssh(t, "ip -o -4 addr show to 192.168.56.0/24"))
	if len(f) < 2 {
		t.Fatalf("%s: no interface on 192.168.56.0/24", v.name)
	}
	return f[1]
}

// assertIsolated: no default route, an empty resolver configuration.
func assertIsolated(t *testing.T, v vm) {
	t.Helper()
	if r := strings.TrimSpace(v.ssh(t, "ip route show default; ip -6 route show default")); r != "" {
		t.Errorf("%s has a default route: %s", v.name, r)
	}
	if r := strings.TrimSpace(v.ssh(t, "grep -v '^#' /etc/resolv.conf || true")); r != "" {
		t.Errorf("%s has a resolver: %s", v.name, r)
	}
}

// snapshot is what this machine had before the test, so that the test
// asks only that what overlab made is gone.
type snapshot struct {
	libvirtd bool
	chains   string
}

func hostSnapshot(t *testing.T) snapshot {
	return snapshot{libvirtd: exec.Command("virsh", "-c", "qemu:///system", "version").Run() == nil, chains: libvirtChains()}
}

func libvirtChains() string {
	var b strings.Builder
	for _, ipt := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			out, _ := exec.Command(ipt, "-w", "-t", table, "-S").Output()
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, "LIBVIRT_") || strings.Contains(l, "OVERLAB-VM") {
					b.WriteString(ipt + " " + l + "\n")
				}
			}
		}
	}
	return b.String()
}

func assertNothingLeft(t *testing.T, before snapshot) {
	t.Helper()
	if got := libvirtChains(); got != before.chains {
		t.Errorf("iptables chains left:\n%s\nbefore the test:\n%s", got, before.chains)
	}
	if !before.libvirtd {
		if exec.Command("virsh", "-c", "qemu:///system", "version").Run() == nil {
			t.Errorf("libvirtd still answers: overlab started it and must stop it")
		}
		if out, _ := exec.Command("sh", "-c", "ps -eo stat=,comm= | grep -v '^Z' | grep -E 'libvirtd|virtlogd|qemu-system' || true").Output(); len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("processes left: %s", out)
		}
		return
	}
	for _, args := range [][]string{{"list", "--all", "--name"}, {"net-list", "--all", "--name"}, {"pool-list", "--all", "--name"}} {
		out, _ := exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).Output()
		if strings.Contains(string(out), "overlab") {
			t.Errorf("virsh %s: %s", args[0], out)
		}
	}
}

// qemuRSS is the resident memory of each VM's qemu process.
func qemuRSS(t *testing.T) string {
	out, _ := exec.Command("sh", "-c", `for p in $(pgrep -x qemu-system-x86); do echo "$(tr '\0' ' ' </proc/$p/cmdline | grep -o 'guest=overlab-node[0-9]*') $(awk '/VmRSS/ {print $2}' /proc/$p/status)"; done`).Output()
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 {
			kb, _ := strconv.Atoi(f[1])
			parts = append(parts, fmt.Sprintf("%s %d MiB", strings.TrimPrefix(f[0], "guest="), kb/1024))
		}
	}
	return strings.Join(parts, ", ")
}

func run(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	c := exec.Command(args[0], args[1:]...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	t.Logf("%s:\n%s", strings.Join(args, " "), tail(string(out), 10))
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func since(t0 time.Time) string { return time.Since(t0).Round(time.Second).String() }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
