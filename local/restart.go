//go:build linux

package local

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EngineRestarter restarts the engines of one lab's hosts: the repair for
// an engine that kept its swarm gossip port after leaving (swarm package,
// StaleGossipError). Only the local provider may do this: it runs these
// engines, nobody else does.
type EngineRestarter struct {
	p   *Provider
	lab Lab
}

// Restarter returns the restarter of lab l's engines.
func (p *Provider) Restarter(l Lab) *EngineRestarter { return &EngineRestarter{p: p, lab: l} }

// OwnsInventory reports the local lab whose inventory is path, if any: its
// state directory holds the inventory beside lab.json.
func OwnsInventory(path string) (Lab, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Lab{}, false
	}
	dir := filepath.Dir(abs)
	l, err := Load(filepath.Dir(dir), filepath.Base(dir))
	if err != nil || l.InventoryPath() != abs {
		return Lab{}, false
	}
	return l, true
}

// RestartEngine stops host's dockerd and starts it again with the same
// command line and environment, inside the same namespaces and root as the
// host's sshd, then waits until it answers through SSH.
func (r *EngineRestarter) RestartEngine(ctx context.Context, host string) error {
	st, err := r.StopEngine(host)
	if err != nil {
		return err
	}
	return r.StartEngine(ctx, st)
}

// StoppedEngine is a host's dockerd that StopEngine stopped, with what
// starts it again: its command line, environment and host's namespaces.
type StoppedEngine struct {
	host   string
	dir    string
	i      int
	anchor int // the host's sshd: its namespaces and root are the engine's
	argv   []string
	env    []string
}

// StopEngine stops host's dockerd (SIGTERM, then SIGKILL after 30 s) and
// returns what StartEngine needs to start it again: the repair of an
// engine, and the tests of what overlab does while a host's engine is gone.
func (r *EngineRestarter) StopEngine(host string) (*StoppedEngine, error) {
	l := r.lab
	i, err := strconv.Atoi(strings.TrimPrefix(host, "node"))
	if err != nil || !strings.HasPrefix(host, "node") || i < 1 || i > l.Hosts {
		return nil, fmt.Errorf("%s is not a host of local lab %q", host, l.Name)
	}
	dir := l.HostDir(i)
	pid := readPID(filepath.Join(dir, "dockerd.pid"))
	anchor := readPID(filepath.Join(dir, "sshd.pid"))
	if pid == 0 || !alive(pid) || anchor == 0 || !alive(anchor) {
		return nil, fmt.Errorf("%s: its dockerd or sshd is not running (see %s)", host, dir)
	}
	argv, env, err := procCommand(pid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", host, err)
	}
	if !sameRoot(pid, anchor) {
		return nil, fmt.Errorf("%s: dockerd and sshd do not share a root and mount namespace: restart the lab (`overlab local up`)", host)
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if left := waitGone([]int{pid}, 30*time.Second); len(left) > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		waitGone(left, 5*time.Second)
	}
	return &StoppedEngine{host: host, dir: dir, i: i, anchor: anchor, argv: argv, env: env}, nil
}

// StartEngine starts a dockerd that StopEngine stopped, with the same
// command line and environment in the host's namespaces, and waits until
// it answers through SSH.
func (r *EngineRestarter) StartEngine(ctx context.Context, st *StoppedEngine) error {
	l, host, dir := r.lab, st.host, st.dir
	if !alive(st.anchor) {
		return fmt.Errorf("%s: its sshd is gone, so are its namespaces: restart the lab (`overlab local up`)", host)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := append([]string{"--target", strconv.Itoa(st.anchor), "--mount", "--uts", "--net", "--root", "--wd", "--"}, st.argv...)
	cmd := exec.Command(r.p.bin.Nsenter, args...)
	cmd.Env = st.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives this command
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: starting dockerd again: %w", host, err)
	}
	_ = os.WriteFile(filepath.Join(dir, "dockerd.launch.pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
	go func() { _ = cmd.Wait() }()
	probe, err := l.newSSHProbe()
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, r.p.readyWait)
	defer cancel()
	st2 := probe.waitReady(wctx, l.HostAddr(st.i).String(), func() bool { return alive(cmd.Process.Pid) })
	if !st2.Engine {
		return fmt.Errorf("%s: engine not answering after its restart: %v (log: %s)", host, st2.Err, filepath.Join(dir, "dockerd.log"))
	}
	return nil
}

// procCommand reads a process's command line and environment.
func procCommand(pid int) (argv, env []string, err error) {
	base := "/proc/" + strconv.Itoa(pid)
	cl, err := os.ReadFile(base + "/cmdline")
	if err != nil {
		return nil, nil, err
	}
	en, err := os.ReadFile(base + "/environ")
	if err != nil {
		return nil, nil, err
	}
	split := func(b []byte) []string {
		var out []string
		for _, f := range bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0}) {
			out = append(out, string(f))
		}
		return out
	}
	argv = split(cl)
	if len(argv) == 0 || argv[0] == "" {
		return nil, nil, fmt.Errorf("process %d has no command line", pid)
	}
	return argv, split(en), nil
}

// sameRoot reports whether two processes see the same root directory in
// the same mount namespace, so that one can start the other's program.
func sameRoot(a, b int) bool {
	for _, f := range []string{"root", "ns/mnt"} {
		var sa, sb syscall.Stat_t
		if syscall.Stat(fmt.Sprintf("/proc/%d/%s", a, f), &sa) != nil || syscall.Stat(fmt.Sprintf("/proc/%d/%s", b, f), &sb) != nil {
			return false
		}
		if sa.Dev != sb.Dev || sa.Ino != sb.Ino {
			return false
		}
	}
	return true
}
