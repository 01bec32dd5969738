//go:build linux

package labtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/overlab/overlab/internal/syncbuf"
	"github.com/overlab/overlab/internal/testenv"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/log"
)

// StateRoot keeps test labs apart from the user's labs.
const StateRoot = "/var/lib/overlab/test"

// Lab is a running test lab.
type Lab struct {
	local.Lab
	Hosts     []local.Host
	Inventory string // path of its inventory file
}

// Skip skips t unless end-to-end tests can run here: root, not -short.
// Under CI=true it fails instead: CI must run every test, never skip one.
func Skip(t testing.TB) {
	t.Helper()
	switch {
	case testing.Short() && os.Getenv(UnitOnlyEnv) == "1":
		// Said by the Makefile's race pass, after the full pass ran these.
		t.Skip("integration test: skipped in the unit-only pass (" + UnitOnlyEnv + "=1)")
	case testing.Short():
		skipOrFail(t, "integration test: skipped with -short")
	case os.Geteuid() != 0:
		skipOrFail(t, "integration test: needs root to create lab hosts")
	}
}

// UnitOnlyEnv=1 with -short names a deliberate unit-only pass (the race
// detector's, after the full pass): there, skipping is not a CI failure.
const UnitOnlyEnv = "OVERLAB_TEST_UNIT_ONLY"

func skipOrFail(t testing.TB, why string) {
	t.Helper()
	testenv.SkipOrFail(t, why)
}

var seq atomic.Int64

// EngineEnv names the engine generation the test labs run (a value of
// `overlab local up --engine`); unset or empty, the machine's own dockerd.
const EngineEnv = "OVERLAB_TEST_ENGINE"

// Engine is the engine generation the test labs run, from EngineEnv.
func Engine(t testing.TB) local.Engine {
	t.Helper()
	e, err := local.ParseEngine(os.Getenv(EngineEnv))
	if err != nil {
		t.Fatalf("%s: %v", EngineEnv, err)
	}
	return e
}

// Up starts a lab of n hosts for t, on the engine EngineEnv names, and
// removes it when t ends (unless OVERLAB_KEEP_LAB=1, for debugging).
func Up(t testing.TB, n int) *Lab {
	t.Helper()
	Skip(t)
	return UpEngine(t, n, Engine(t))
}

// UpEngine is Up on a given engine generation.
func UpEngine(t testing.TB, n int, engine local.Engine) *Lab {
	t.Helper()
	Skip(t)
	sum := sha256.Sum256([]byte(fmt.Sprint(t.Name(), os.Getpid(), seq.Add(1))))
	name := "t" + hex.EncodeToString(sum[:])[:10]
	// A first run builds the engine's root filesystem: outside the subnet
	// lock and the lab's own time budget.
	bctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if _, err := local.New().Rootfs(bctx, engine); err != nil {
		t.Fatalf("engine %s: %v", engine.Name, err)
	}
	l, err := up(name, n, engine)
	if err != nil {
		t.Fatalf("local lab up (engine %q): %v", engine.Name, err)
	}
	t.Cleanup(func() {
		if os.Getenv("OVERLAB_KEEP_LAB") == "1" {
			t.Logf("keeping lab %s (%s): remove it with overlab local down --state-dir %s --name %s", l.Name, l.Inventory, StateRoot, l.Name)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := local.New().Down(ctx, l.Lab); err != nil {
			t.Errorf("local lab down: %v", err)
		}
	})
	return l
}

// up picks a free subnet and starts the lab while holding a machine-wide
// lock, so that two test packages never pick the same subnet.
func up(name string, n int, engine local.Engine) (*Lab, error) {
	if err := os.MkdirAll(StateRoot, 0o700); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(StateRoot, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	subnet, err := freeSubnet()
	if err != nil {
		return nil, err
	}
	l := local.Lab{Name: name, Hosts: n, Subnet: subnet, StateRoot: StateRoot, Engine: engine}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	hosts, err := local.New(local.WithLogger(log.NoOp{})).Up(ctx, l)
	if err != nil {
		return nil, err
	}
	return &Lab{Lab: l, Hosts: hosts, Inventory: l.InventoryPath()}, nil
}

// freeSubnet returns the first 10.213.X.0/24 that nothing on the machine uses.
func freeSubnet() (netip.Prefix, error) {
	used, err := machinePrefixes()
	if err != nil {
		return netip.Prefix{}, err
	}
	for x := 0; x < 256; x++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 213, byte(x), 0}), 24)
		free := true
		for _, u := range used {
			if u.Overlaps(p) {
				free = false
				break
			}
		}
		if free {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free 10.213.x.0/24 subnet for a test lab")
}

func machinePrefixes() ([]netip.Prefix, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// SSH connects to host i (1-based) as root with strict host key checking.
func (l *Lab) SSH(t testing.TB, i int) *ssh.Client {
	t.Helper()
	key, err := os.ReadFile(l.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(l.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", net.JoinHostPort(l.HostAddr(i).String(), "22"), &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hk, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("ssh %s: %v", local.HostName(i), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Run runs command on host i over SSH and returns its combined output; it
// fails the test when the command fails, unless allowFail.
func (l *Lab) Run(t testing.TB, i int, command string) (string, error) {
	t.Helper()
	c := l.SSH(t, i)
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// x/crypto/ssh copies stdout and stderr in two goroutines (unlike
	// os/exec), so one buffer for both needs a lock.
	out := &syncbuf.Buffer{}
	s.Stdout, s.Stderr = out, out
	done := make(chan error, 1)
	go func() { done <- s.Run(command) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("timed out after 30s")
	}
	return strings.TrimSpace(out.String()), err
}

// MustRun is Run that fails the test on error.
func (l *Lab) MustRun(t testing.TB, i int, command string) string {
	t.Helper()
	out, err := l.Run(t, i, command)
	if err != nil {
		t.Fatalf("%s: %q: %v: %s", local.HostName(i), command, err, out)
	}
	return out
}
