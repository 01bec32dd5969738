//go:build linux

package cmd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/overlab/overlab/local/labtest"
)

// buildOverlab builds the overlab binary once per test run (static, so that
// it also serves as the probe).
var buildOverlab = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "overlab-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "overlab")
	cmd := exec.Command("go", "build", "-o", bin, "./overlab")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// interrupted runs overlab args, sends SIGINT after delay and returns how long
// the command took to end after it, its exit code and what it said.
func interrupted(t *testing.T, delay time.Duration, args ...string) (time.Duration, int, string) {
	t.Helper()
	bin, err := buildOverlab()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	return time.Since(sent), cmd.ProcessState.ExitCode(), out.String()
}

// silentSSH accepts TCP connections on loopback and never says a word: every
// SSH handshake with it hangs until the client gives up.
func silentSSH(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// Ctrl-C ends every long command promptly, even while SSH hangs, with exit
// code 2, and leaves nothing half-written behind.
func TestInterruptEndsLongCommandsPromptly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the overlab binary: skipped with -short")
	}
	port := silentSSH(t)
	dir := t.TempDir()
	inv := filepath.Join(dir, "overlab.yaml")
	// 192.0.2.0/24 is TEST-NET-1: never dialled, SSH goes to ssh_host.
	key := filepath.Join(dir, "id_test")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := fmt.Sprintf("defaults: {identity_file: %s, known_hosts: %s}\nhosts:\n  - {name: n1, address: 192.0.2.11, ssh_host: 127.0.0.1, port: %d, role: manager}\n  - {name: n2, address: 192.0.2.12, ssh_host: 127.0.0.1, port: %d}\n",
		key, filepath.Join(dir, "known_hosts"), port, port)
	if err := os.WriteFile(inv, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	sshConfig := filepath.Join(dir, "ssh-config")
	if err := os.WriteFile(sshConfig, []byte(fmt.Sprintf("Host node1\n  HostName 127.0.0.1\n  Port %d\n  User vagrant\n  IdentityFile %s\n", port, key)), 0o644); err != nil {
		t.Fatal(err)
	}
	imported := filepath.Join(dir, "imported.yaml")
	slow := []string{"-i", inv, "--connect-timeout", "90s"}
	results := []string{"--results", filepath.Join(dir, "results")}
	for _, args := range [][]string{
		{"hosts"},
		{"up"},
		append([]string{"check"}, results...),
		{"down"},
		{"status"},
		{"doctor"},
		append([]string{"lab", "run", "bridge"}, results...),
		{"inventory", "import", "vagrant", sshConfig, "--lab-subnet", "192.0.2.0/24", "-o", imported},
	} {
		took, code, said := interrupted(t, 1500*time.Millisecond, append(args, slow...)...)
		name := strings.Join(args[:min(2, len(args))], " ")
		if took > 5*time.Second || !strings.Contains(said, "interrupted") {
			t.Errorf("%s went on for %v after Ctrl-C, saying\n%s", name, took.Round(time.Millisecond), said)
		}
		if code != 2 {
			t.Errorf("%s: exit %d after Ctrl-C, want 2 (could not run)\n%s", name, code, said)
		}
		t.Logf("%s: ended %v after Ctrl-C", name, took.Round(time.Millisecond))
	}
	if _, err := os.Stat(imported); err == nil {
		t.Errorf("an interrupted import left %s behind", imported)
	}
}

// An up interrupted half-way leaves a lab that the next up completes and
// the next check finds as expected.
func TestInterruptedUpIsRepairedByTheNextUp(t *testing.T) {
	l := labtest.Up(t, 2)
	bin, err := buildOverlab()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-i", l.Inventory, "--lab", "swarm"}
	up := append([]string{"up", "--probe-binary", bin}, args...)
	overlab := func(what ...string) (int, string) {
		out, err := exec.Command(bin, append(what, args...)...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	t.Cleanup(func() { overlab("down") })
	took, code, said := interrupted(t, 4*time.Second, up...)
	t.Logf("up interrupted after 4 s: ended %v later, exit %d", took.Round(time.Millisecond), code)
	if took > 15*time.Second {
		t.Errorf("up went on for %v after Ctrl-C\n%s", took, said)
	}
	if code, out := overlab(up[:3]...); code != 0 {
		t.Fatalf("the next up: exit %d\n%s", code, out)
	}
	if code, out := overlab("check", "--results", t.TempDir()); code != 0 {
		t.Fatalf("check after the repairing up: exit %d\n%s", code, out)
	}
}
