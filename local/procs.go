package local

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func netnsInode(path string) (uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, false
	}
	return st.Ino, true
}

// labProcs scans /proc once and returns the processes of each host of the
// lab: every process in its network namespace (sshd, dockerd, containerd,
// shims, host-network containers), in its mount namespace (the same ones,
// found even when the network namespace was deleted under them; they hold
// the host's root filesystem mounts) and in its dockerd's container cgroups
// (containers with their own network namespace). That is exactly what the
// lab started, even after a crash left no pid file behind.
func (l Lab) labProcs(hosts []int) map[int][]int {
	inodes := map[uint64]int{}
	mntns := map[string]int{}
	cgroups := map[string]int{}
	for _, i := range hosts {
		if ino, ok := netnsInode(netnsPath(l.Netns(i))); ok {
			inodes[ino] = i
		}
		if b, err := os.ReadFile(filepath.Join(l.HostDir(i), "mntns")); err == nil && len(bytes.TrimSpace(b)) > 0 {
			mntns[string(bytes.TrimSpace(b))] = i
		}
		cgroups[l.CgroupParent(i)+"/"] = i
	}
	verified := nsVerdicts{}
	self := os.Getpid()
	out := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if ino, ok := netnsInode(filepath.Join("/proc", e.Name(), "ns", "net")); ok {
			if i, mine := inodes[ino]; mine {
				out[i] = append(out[i], pid)
				continue
			}
		}
		if ns, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "mnt")); err == nil {
			if i, mine := mntns[ns]; mine && verified.of(ns, pid, l.StateDir()) {
				out[i] = append(out[i], pid)
				continue
			}
		}
		if i, ok := cgroupHost(pid, cgroups); ok {
			out[i] = append(out[i], pid)
		}
	}
	return out
}

// nsVerdicts remembers, per mount namespace, whether it holds mounts under
// the lab's state directory. A recorded namespace number alone is not proof:
// the kernel reuses the numbers of namespaces that are gone.
type nsVerdicts map[string]bool

func (v nsVerdicts) of(ns string, pid int, dir string) bool {
	if ok, seen := v[ns]; seen {
		return ok
	}
	v[ns] = mountsUnder(pid, dir)
	return v[ns]
}

// mountsUnder reports whether pid sees a mount point under dir (for a
// chrooted process, paths are relative to its root: the provider binds the
// host's state into the root at the same path, so they match too).
func mountsUnder(pid int, dir string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		fs := strings.Fields(line)
		if len(fs) > 4 && strings.HasPrefix(fs[4], dir+"/") {
			return true
		}
	}
	return false
}

func cgroupHost(pid int, parents map[string]int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for prefix, i := range parents {
			if strings.HasPrefix(parts[2]+"/", prefix) && parts[2]+"/" != prefix {
				return i, true
			}
		}
	}
	return 0, false
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// waitGone polls until none of pids is alive or the deadline passes; it
// returns those still alive.
func waitGone(pids []int, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		var left []int
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func signalAll(pids []int, sig syscall.Signal) {
	for _, p := range pids {
		_ = syscall.Kill(p, sig)
	}
}

// readPID reads a pid file; 0 when absent or unreadable.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// memoryKB sums the proportional set size of pids (what the host costs).
func memoryKB(pids []int) int {
	total := 0
	for _, p := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/smaps_rollup")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Pss:") {
				fs := strings.Fields(line)
				if len(fs) >= 2 {
					kb, _ := strconv.Atoi(fs[1])
					total += kb
				}
			}
		}
	}
	return total
}

// removeCgroups deletes the lab's container cgroup directories (left behind
// when a dockerd dies without removing them), deepest first, in every
// cgroup v1 hierarchy and in the v2 tree.
func (l Lab) removeCgroups() {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/overlab/" + l.Name)
	if v2 := "/sys/fs/cgroup/overlab/" + l.Name; dirExists(v2) {
		roots = append(roots, v2)
	}
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for k := len(dirs) - 1; k >= 0; k-- {
			_ = syscall.Rmdir(dirs[k])
		}
		_ = syscall.Rmdir(filepath.Dir(root)) // "overlab", when no other lab uses it
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// keepInheritedFiles marks every file this process inherited beyond the
// standard three close-on-exec. Go opens its own files so; a descriptor it
// was started with (a lock that `flock cmd` holds, a CI runner's pipe) is
// not, and would pass to the lab's daemons, which outlive this command: a
// lock would stay held, a pipe open, as long as the lab is up.
func keepInheritedFiles() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
