package probe

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "OVERLAB_PROBE_SERVE_HELPER"

// TestMain lets the test binary play the probe process for the signal tests.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		err := Serve(context.Background(), ServeConfig{ListenAddress: "127.0.0.1", HTTPPorts: []int{0}, Hostname: "helper", Open: true, TokenDir: os.DevNull,
			Ready: func(a Addrs) { fmt.Printf("READY %d %d %d\n", port(a.TCP), port(a.UDP), port(a.HTTP[0])) }})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestServeStopsAtOnceOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			// Under -race the runtime would sleep 1 s at exit by default.
			cmd.Env = append(os.Environ(), helperEnv+"=1", "GORACE=atexit_sleep_ms=0")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			lines := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(out).ReadString('\n')
				lines <- line
			}()
			var tcp, udp, http int
			select {
			case line := <-lines:
				if _, err := fmt.Sscanf(line, "READY %d %d %d", &tcp, &udp, &http); err != nil {
					t.Fatalf("helper said %q: %v", line, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("helper not ready after 5s")
			}
			// An open connection must not hold the stop up.
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", tcp), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(time.Second))
			banner, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || banner != "overlab-probe helper\n" {
				t.Fatalf("banner %q, %v", banner, err)
			}

			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("helper exited with %v, want a clean exit", err)
				}
				if el := time.Since(start); el > 500*time.Millisecond {
					t.Errorf("stopped %v after %s, want at once", el, sig)
				}
				t.Logf("stopped %v after %s", time.Since(start), sig)
			case <-time.After(3 * time.Second):
				t.Fatalf("still running 3s after %s", sig)
			}
			if _, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", tcp), time.Second); err == nil || !strings.Contains(err.Error(), "refused") {
				t.Errorf("TCP port still answers after the stop: %v", err)
			}
		})
	}
}

func TestServeFailsOnPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), ServeConfig{ListenAddress: "127.0.0.1", TCPPort: port(ln.Addr()), UDPPort: 0, NoSignals: true})
	if err == nil || !strings.Contains(err.Error(), "tcp: listen tcp 127.0.0.1:") || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Serve on a busy port: %v, want a tcp listen error", err)
	}
}
