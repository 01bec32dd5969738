package local_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
)

func TestThreeHosts(t *testing.T) {
	lab := labtest.Up(t, 3)
	for i := 1; i <= 3; i++ {
		name := local.HostName(i)
		// Each host has its own hostname, underlay address and engine.
		out := lab.MustRun(t, i, `hostname; ip -o -4 addr show dev eth0; docker info --format '{{.Name}}' 2>/dev/null || curl -s --unix-socket /var/run/docker.sock http://d/info; ip -o -4 addr show dev docker0; ip route show default | wc -l`)
		lines := strings.Split(out, "\n")
		if len(lines) < 5 {
			t.Fatalf("%s: unexpected output:\n%s", name, out)
		}
		if lines[0] != name {
			t.Errorf("%s reports hostname %q", name, lines[0])
		}
		if want := lab.HostAddr(i).String() + "/24"; !strings.Contains(lines[1], want) {
			t.Errorf("%s: eth0 %q, want %s", name, lines[1], want)
		}
		if !strings.Contains(lines[2], name) {
			t.Errorf("%s: engine name %q, want the host's name", name, lines[2])
		}
		if !strings.Contains(lines[3], "docker0") || !strings.Contains(lines[3], "inet ") {
			t.Errorf("%s: no docker0 address: %q", name, lines[3])
		}
		if lines[4] != "0" {
			t.Errorf("%s has a default route", name)
		}
	}
	// The hosts reach each other on the underlay.
	if out, err := lab.Run(t, 1, "busybox ping -c 2 -W 2 "+lab.HostAddr(3).String()); err != nil {
		t.Errorf("node1 cannot reach node3: %v: %s", err, out)
	}
	// Each engine's data root is its own: an image on node1 is not on node2.
	lab.MustRun(t, 1, "docker network create overlab-probe-only-on-node1 >/dev/null")
	if out := lab.MustRun(t, 2, "docker network ls --format '{{.Name}}'"); strings.Contains(out, "overlab-probe-only-on-node1") {
		t.Error("node2's engine sees node1's network: engines are not separate")
	}
}

func TestDownLeavesNothing(t *testing.T) {
	labtest.Skip(t)
	lab := labtest.Up(t, 2)
	// Run a container so that down has shims and container processes to end.
	lab.MustRun(t, 1, "docker network create x >/dev/null")
	holder := pidOf(t, filepath.Join(lab.HostDir(1), "holder.pid"))
	ctx := context.Background()
	start := time.Now()
	if err := local.New().Down(ctx, lab.Lab); err != nil {
		t.Fatal(err)
	}
	t.Logf("down took %v", time.Since(start))
	assertGone(t, lab.Lab, holder)
	// Twice, and on a lab that never existed, is fine.
	if err := local.New().Down(ctx, lab.Lab); err != nil {
		t.Fatalf("second down: %v", err)
	}
	if err := local.New().Down(ctx, local.Lab{Name: "never-was", StateRoot: labtest.StateRoot}); err != nil {
		t.Fatalf("down of a lab that does not exist: %v", err)
	}
}

func assertGone(t *testing.T, l local.Lab, pids ...int) {
	t.Helper()
	for i := 1; i <= l.Hosts; i++ {
		if _, err := os.Stat(filepath.Join("/run/netns", l.Netns(i))); err == nil {
			t.Errorf("namespace %s left", l.Netns(i))
		}
		if _, err := os.Stat("/sys/class/net/" + l.HostVeth(i)); err == nil {
			t.Errorf("veth %s left", l.HostVeth(i))
		}
	}
	if _, err := os.Stat("/sys/class/net/" + l.Bridge()); err == nil {
		t.Errorf("bridge %s left", l.Bridge())
	}
	if _, err := os.Stat(l.StateDir()); err == nil {
		t.Errorf("state directory %s left", l.StateDir())
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), l.StateDir()) || strings.Contains(string(mounts), "/run/netns/"+l.Name+"-") {
		t.Errorf("mounts of lab %s left", l.Name)
	}
	// Hosts mount in namespaces of their own: no process anywhere may still
	// hold one of those mounts (an overlay over the lab's root filesystem).
	if holders := mountHolders(l.StateDir()); len(holders) > 0 {
		t.Errorf("processes %v still hold mounts of lab %s", holders, l.Name)
	}
	for _, pid := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("process %d still runs", pid)
		}
	}
	if m, _ := filepath.Glob("/sys/fs/cgroup/*/overlab/" + l.Name); len(m) > 0 {
		t.Errorf("cgroups left: %v", m)
	}
}

func pidOf(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestCrashRecovery(t *testing.T) {
	lab := labtest.Up(t, 3)
	// A crash: node2's daemons die hard, its namespace and files stay.
	dockerd := pidOf(t, filepath.Join(lab.HostDir(2), "dockerd.pid"))
	sshd := pidOf(t, filepath.Join(lab.HostDir(2), "sshd.pid"))
	_ = syscall.Kill(dockerd, syscall.SIGKILL)
	_ = syscall.Kill(sshd, syscall.SIGKILL)
	if _, err := local.New().Up(context.Background(), lab.Lab); err != nil {
		t.Fatalf("up over a crashed lab: %v", err)
	}
	st, err := local.New().Status(context.Background(), lab.Lab)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range st {
		if !h.Engine || !h.SSHD {
			t.Errorf("%s not whole after recovery: %+v", h.Name, h)
		}
	}
	if out := lab.MustRun(t, 2, "hostname"); out != "node2" {
		t.Errorf("node2 says %q", out)
	}
}

func TestTwoLabsSideBySide(t *testing.T) {
	a := labtest.Up(t, 2)
	b := labtest.Up(t, 2)
	if a.Subnet == b.Subnet || a.Bridge() == b.Bridge() {
		t.Fatalf("labs share subnet or bridge: %v %v", a.Subnet, b.Subnet)
	}
	// Removing one leaves the other whole.
	if err := local.New().Down(context.Background(), b.Lab); err != nil {
		t.Fatal(err)
	}
	st, err := local.New().Status(context.Background(), a.Lab)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range st {
		if !h.Engine || !h.SSHD {
			t.Errorf("lab %s host %s hurt by removing lab %s: %+v", a.Name, h.Name, b.Name, h)
		}
	}
	// A subnet already on the machine is refused with a clear message.
	c := local.Lab{Name: "overlapper", Hosts: 1, Subnet: a.Subnet, StateRoot: labtest.StateRoot}
	_, err = local.New().Up(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "overlaps") || !strings.Contains(err.Error(), "--subnet") {
		t.Fatalf("overlapping subnet: got %v", err)
	}
	if _, statErr := os.Stat(c.StateDir()); statErr == nil {
		t.Error("a refused lab left its state directory")
	}
}

func TestUpErrors(t *testing.T) {
	labtest.Skip(t)
	l := local.Lab{Name: "badbin", Hosts: 1, Subnet: netip.MustParsePrefix("10.213.250.0/24"), StateRoot: labtest.StateRoot}
	p := local.New(local.WithBinaries(local.Binaries{Dockerd: "dockerd-missing", Sshd: "sshd", IP: "ip", Nsenter: "nsenter", Unshare: "unshare", Iptables: "iptables", Sh: "/bin/sh"}))
	_, err := p.Up(context.Background(), l)
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y docker.io") {
		t.Fatalf("missing dockerd: %v", err)
	}
	// Not root: run the real binary as nobody.
	dir, err := os.MkdirTemp("", "overlab-bin")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "overlab")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/overlab").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	os.Chmod(dir, 0o755)
	cmd := exec.Command(bin, "local", "up", "--state-dir", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "run it as root") {
		t.Fatalf("not root: %s", out)
	}
}

// mountHolders lists the processes that see a mount whose source or options
// name dir (an overlay's upper or lower directory, a bind of the state).
func mountHolders(dir string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "mountinfo"))
		if err == nil && strings.Contains(string(b), dir+"/") {
			out = append(out, pid)
		}
	}
	return out
}

// rootfsEngine is the engine generation that runs from a root filesystem,
// whatever OVERLAB_TEST_ENGINE says: its mounts and crash recovery are
// tested on every run.
func rootfsEngine(t *testing.T) local.Engine {
	t.Helper()
	e, err := local.ParseEngine("26.1")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestRootfsHosts: hosts of a chrooted engine run the root filesystem's
// engine and userland, see nothing of the machine's files (not even from
// inside a container through docker exec), write only to their own layer,
// and leave no mount, process or namespace behind.
func TestRootfsHosts(t *testing.T) {
	labtest.Skip(t)
	e := rootfsEngine(t)
	lab := labtest.UpEngine(t, 2, e)
	for i := 1; i <= 2; i++ {
		out := lab.MustRun(t, i, "docker version --format '{{.Server.Version}}'; . /etc/os-release; echo $VERSION_CODENAME; wc -c < /etc/resolv.conf; test -e /var/cache/overlab && echo machine || echo private; touch /only-on-"+local.HostName(i))
		lines := strings.Split(out, "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], e.Version+".") || lines[1] != "trixie" || lines[2] != "0" || lines[3] != "private" {
			t.Errorf("%s: engine, release, resolv.conf size, machine's files = %q", local.HostName(i), lines)
		}
	}
	// Each host's writes stay in its own upper layer.
	if out, _ := lab.Run(t, 2, "ls /only-on-node1"); !strings.Contains(out, "No such file") {
		t.Errorf("node2 sees node1's file: %q", out)
	}
	if _, err := os.Stat(filepath.Join(lab.RootfsDir(1), "upper", "only-on-node1")); err != nil {
		t.Errorf("node1's write is not in its upper layer: %v", err)
	}
	// docker exec must land in the container, not at the machine's root
	// (what a plain chroot would give; see docs/engines.md).
	out := lab.MustRun(t, 1, "mkdir -p /tmp/img && cp /usr/bin/busybox /tmp/img/ && tar -C /tmp/img -c . | docker import -c 'ENV PATH=/' - bb >/dev/null && "+
		"docker run -d --name c1 bb /busybox sleep 600 >/dev/null && docker exec c1 /busybox ls /")
	if strings.Contains(out, "usr") || !strings.Contains(out, "busybox") {
		t.Errorf("docker exec sees a root that is not the container's: %q", out)
	}
	// Everything goes with down, the container's shim and mounts too.
	holder := pidOf(t, filepath.Join(lab.HostDir(1), "holder.pid"))
	if len(mountHolders(lab.StateDir())) == 0 {
		t.Fatal("no process holds the hosts' mounts: is the test looking in the right place?")
	}
	if err := local.New().Down(context.Background(), lab.Lab); err != nil {
		t.Fatal(err)
	}
	assertGone(t, lab.Lab, holder)
}

// TestRootfsCrashRecovery: a crash leaves processes that hold a host's
// mounts; a host whose network namespace was deleted under it is found
// by its mount namespace. The next up cleans both and comes up whole.
func TestRootfsCrashRecovery(t *testing.T) {
	labtest.Skip(t)
	lab := labtest.UpEngine(t, 2, rootfsEngine(t))
	lab.MustRun(t, 1, "docker network create x >/dev/null")
	// node1: the holder and dockerd die hard; containerd and sshd stay.
	_ = syscall.Kill(pidOf(t, filepath.Join(lab.HostDir(1), "holder.pid")), syscall.SIGKILL)
	_ = syscall.Kill(pidOf(t, filepath.Join(lab.HostDir(1), "dockerd.pid")), syscall.SIGKILL)
	// node2: its network namespace is deleted; its processes live on.
	sshd2 := pidOf(t, filepath.Join(lab.HostDir(2), "sshd.pid"))
	if out, err := exec.Command("ip", "netns", "delete", lab.Netns(2)).CombinedOutput(); err != nil {
		t.Fatalf("ip netns delete: %v: %s", err, out)
	}
	before := mountHolders(lab.StateDir())
	if len(before) == 0 {
		t.Fatal("the crash left no process holding mounts: nothing to recover from")
	}
	if _, err := local.New().Up(context.Background(), lab.Lab); err != nil {
		t.Fatalf("up over a crashed lab: %v", err)
	}
	for _, pid := range append(before, sshd2) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("process %d of the crashed lab still runs", pid)
		}
	}
	st, err := local.New().Status(context.Background(), lab.Lab)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range st {
		if !h.Engine || !h.SSHD || !strings.HasPrefix(h.EngineVersion, "26.1.") {
			t.Errorf("%s not whole after recovery: %+v", h.Name, h)
		}
	}
}

// A file this process holds without close-on-exec (as `flock FILE cmd`
// hands its lock to cmd) does not pass to the lab's daemons, which outlive
// the command: a lock would stay held as long as the lab is up.
func TestLabDaemonsInheritNoStrayFiles(t *testing.T) {
	labtest.Skip(t)
	path := filepath.Join(t.TempDir(), "stray.lock")
	fd, err := syscall.Open(path, syscall.O_CREAT|syscall.O_RDWR, 0o600) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	l := labtest.Up(t, 1)
	var pids []int
	for _, f := range []string{"holder.pid", "sshd.pid", "dockerd.pid"} {
		b, err := os.ReadFile(filepath.Join(l.HostDir(1), f))
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, e := range ents {
			if target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); target == path {
				t.Errorf("process %d of the lab holds %s (fd %s)", pid, path, e.Name())
			}
		}
	}
}
