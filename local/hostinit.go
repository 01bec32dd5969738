//go:build linux

package local

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/overlab/overlab/shellquote"
)

// Binaries the provider needs; Paths may point elsewhere (tests, odd installs).
type Binaries struct {
	Dockerd, Sshd, IP, Nsenter, Unshare, Iptables, Sh string
}

func defaultBinaries() Binaries {
	return Binaries{Dockerd: "dockerd", Sshd: "sshd", IP: "ip", Nsenter: "nsenter", Unshare: "unshare", Iptables: "iptables", Sh: "/bin/sh"}
}

// sshdConfig is host i's sshd configuration. Everything is explicit so that
// the machine's own /etc/ssh/sshd_config never matters.
func (l Lab) sshdConfig(i int) string {
	dir := l.HostDir(i)
	return strings.Join([]string{
		"ListenAddress " + l.HostAddr(i).String(),
		"Port 22",
		"HostKey " + filepath.Join(dir, "ssh_host_ed25519_key"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(l.AuthorizedKeysDir(), "%u"),
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"AllowTcpForwarding yes",
		"AllowStreamLocalForwarding yes",
		"PrintMotd no",
		"UseDNS no",
		"MaxSessions 64",
		"MaxStartups 64:30:128",
		"LogLevel INFO",
		"Subsystem sftp internal-sftp",
		"",
	}, "\n")
}

// dockerdArgs is host i's engine command line. The exec root and socket
// stay at Docker's defaults because /run is the host's own tmpfs.
func (l Lab) dockerdArgs(dockerd string, i int) []string {
	dir := l.HostDir(i)
	level := l.EngineLogLevel
	if level == "" {
		level = "warn"
	}
	return []string{
		dockerd,
		"--data-root", filepath.Join(dir, "docker"),
		"--exec-root", "/run/docker",
		"--pidfile", filepath.Join(dir, "dockerd.pid"),
		"--host", "unix:///var/run/docker.sock",
		"--cgroup-parent", l.CgroupParent(i),
		"--exec-opt", "native.cgroupdriver=cgroupfs",
		"--log-level", level,
		"--storage-driver", "overlay2",
	}
}

// hostScript runs as the first process of host i, already inside its network
// namespace and fresh mount and UTS namespaces: it makes /run private to the
// host (so /var/run/docker.sock is the host's own), sets the hostname and
// starts sshd and dockerd, recording their PIDs outside /run. With a root
// filesystem (lower, not ""), it first makes the host's own copy-on-write
// view of it the root of the host's mount namespace (see pivotScript).
func (l Lab) hostScript(b Binaries, i int, lower string) string {
	if lower != "" {
		return l.pivotScript(i, lower)
	}
	var s strings.Builder
	s.WriteString("set -e\n")
	s.WriteString("mount -t tmpfs -o mode=0755 overlab-run /run\n")
	s.WriteString(l.freshShellScript(i))
	s.WriteString(l.daemonsScript(b.Sshd, b.Dockerd, i))
	return s.String()
}

// hostBashrc is the root shell start-up file of a host without a root
// filesystem of its own, in place of the machine's /root/.bashrc.
const hostBashrc = "# overlab lab host: a fresh host's root has no start-up work to do.\n"

// freshShellScript gives a host that shares the machine's files a fresh
// host's root shell start-up: every SSH command runs through bash, which
// reads ~/.bashrc, and the machine operator's one (pyenv init here: 0.2-0.5
// s per command) belongs to no lab host. The bind mount stays inside the
// host's mount namespace.
func (l Lab) freshShellScript(i int) string {
	rc := shellquote.Quote(filepath.Join(l.HostDir(i), "bashrc"))
	return "if [ -f /root/.bashrc ]; then mount --bind " + rc + " /root/.bashrc; fi\n"
}

// oldRoot is where the machine's root briefly goes during pivot_root.
const oldRoot = ".overlab-oldroot"

// pivotScript mounts host i's root filesystem view and pivots the host's
// mount namespace into it, then runs the daemons from it. A chroot is not
// enough: a container's mount namespace is a copy of dockerd's, and `docker
// exec` (runc's setns) lands at the namespace's root, which with a chroot
// is still the machine's / (see docs/engines.md). After pivot_root and the
// lazy unmount of the old root the host sees nothing of the machine's files.
// The host's state (config, keys, pid files, logs, data root) is bound in at
// the same path, so the provider reads it back where it wrote it.
func (l Lab) pivotScript(i int, lower string) string {
	q := shellquote.Quote
	var s strings.Builder
	s.WriteString("set -e\n")
	for _, m := range l.rootfsMounts(i, lower) {
		s.WriteString(m.shell() + "\n")
	}
	// The mount namespace holds those mounts and identifies the host's
	// processes even if its network namespace is gone (see labProcs).
	fmt.Fprintf(&s, "readlink /proc/self/ns/mnt > %s\n", q(filepath.Join(l.HostDir(i), "mntns")))
	root := l.RootfsMerged(i)
	fmt.Fprintf(&s, "mkdir -p %s\ncd %s\npivot_root . %s\n", q(root+"/"+oldRoot), q(root), oldRoot)
	// From here on every program is the root filesystem's own.
	inside := "set -e\ncd /\numount -l /" + oldRoot + "\nrmdir /" + oldRoot + "\n" +
		l.daemonsScript("/usr/sbin/sshd", "/usr/sbin/dockerd", i)
	fmt.Fprintf(&s, "exec /bin/sh -c %s\n", q(inside))
	return s.String()
}

// daemonsScript sets the hostname and starts sshd and dockerd, recording
// their PIDs; it ends by waiting for them.
func (l Lab) daemonsScript(sshd, dockerd string, i int) string {
	dir := l.HostDir(i)
	q := shellquote.Quote
	var s strings.Builder
	s.WriteString("mkdir -p /run/sshd /run/lock\n")
	fmt.Fprintf(&s, "echo %s > /proc/sys/kernel/hostname\n", q(HostName(i)))
	fmt.Fprintf(&s, "%s -D -f %s -E %s &\n", q(sshd), q(filepath.Join(dir, "sshd_config")), q(filepath.Join(dir, "sshd.log")))
	fmt.Fprintf(&s, "echo $! > %s\n", q(filepath.Join(dir, "sshd.pid")))
	// Swarm tasks must use the local image and never wait on a registry.
	s.WriteString("export DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1\n")
	args := make([]string, 0, 20)
	for _, a := range l.dockerdArgs(dockerd, i) {
		args = append(args, q(a))
	}
	fmt.Fprintf(&s, "%s >%s 2>&1 &\n", strings.Join(args, " "), q(filepath.Join(dir, "dockerd.log")))
	// dockerd writes its own --pidfile once started; this records it at once.
	fmt.Fprintf(&s, "echo $! > %s\n", q(filepath.Join(dir, "dockerd.launch.pid")))
	s.WriteString("wait\n")
	return s.String()
}

// hostCommand starts host i's script inside its namespaces. nsenter and
// unshare exec in place, so the returned command's PID is the script's.
// `ip netns exec` is not used: it remounts /sys and dockerd then loses the
// cgroup mounts.
func (l Lab) hostCommand(b Binaries, i int, lower string) []string {
	return []string{
		b.Nsenter, "--net=" + netnsPath(l.Netns(i)),
		b.Unshare, "--mount", "--uts", "--propagation", "slave",
		b.Sh, "-c", l.hostScript(b, i, lower),
	}
}

func netnsPath(name string) string { return filepath.Join("/run/netns", name) }
