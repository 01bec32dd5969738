package local

import (
	"fmt"
	"path/filepath"
	"strings"
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
func (l Lab) dockerdArgs(b Binaries, i int) []string {
	dir := l.HostDir(i)
	return []string{
		b.Dockerd,
		"--data-root", filepath.Join(dir, "docker"),
		"--exec-root", "/run/docker",
		"--pidfile", filepath.Join(dir, "dockerd.pid"),
		"--host", "unix:///var/run/docker.sock",
		"--cgroup-parent", l.CgroupParent(i),
		"--exec-opt", "native.cgroupdriver=cgroupfs",
		"--log-level", "warn",
		"--storage-driver", "overlay2",
	}
}

// hostScript runs as the first process of host i, already inside its network
// namespace and fresh mount and UTS namespaces: it makes /run private to the
// host (so /var/run/docker.sock is the host's own), sets the hostname and
// starts sshd and dockerd, recording their PIDs outside /run.
func (l Lab) hostScript(b Binaries, i int) string {
	dir := l.HostDir(i)
	q := shellQuote
	var s strings.Builder
	s.WriteString("set -e\n")
	s.WriteString("mount -t tmpfs -o mode=0755 overlab-run /run\n")
	s.WriteString("mkdir -p /run/sshd /run/lock\n")
	fmt.Fprintf(&s, "echo %s > /proc/sys/kernel/hostname\n", q(HostName(i)))
	fmt.Fprintf(&s, "%s -D -f %s -E %s &\n", q(b.Sshd), q(filepath.Join(dir, "sshd_config")), q(filepath.Join(dir, "sshd.log")))
	fmt.Fprintf(&s, "echo $! > %s\n", q(filepath.Join(dir, "sshd.pid")))
	// Swarm tasks must use the local image and never wait on a registry.
	s.WriteString("export DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1\n")
	args := make([]string, 0, 20)
	for _, a := range l.dockerdArgs(b, i) {
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
func (l Lab) hostCommand(b Binaries, i int) []string {
	return []string{
		b.Nsenter, "--net=" + netnsPath(l.Netns(i)),
		b.Unshare, "--mount", "--uts", "--propagation", "slave",
		b.Sh, "-c", l.hostScript(b, i),
	}
}

func netnsPath(name string) string { return filepath.Join("/run/netns", name) }

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
