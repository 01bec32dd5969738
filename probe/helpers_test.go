package probe

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/overlab/overlab/log"
)

// testToken is the run's token of the tests: startServe's probes accept it.
var testToken = func() Token {
	t, err := NewToken()
	if err != nil {
		panic(err)
	}
	return t
}()

// testServer is a server that accepts testToken, for tests that drive its
// handlers over their own listeners.
func testServer(t testing.TB, host string) *server {
	t.Helper()
	dir := t.TempDir()
	if err := InstallToken(dir, testToken, time.Hour); err != nil {
		t.Fatal(err)
	}
	return newServer(ServeConfig{TokenDir: dir}, host, nopLogger())
}

// served is a running Serve: its addresses and its token directory.
type served struct {
	Addrs
	Dir string
}

// startServe runs Serve on free loopback ports until the test ends, with
// testToken installed; open also answers unproven requests.
func startServe(t testing.TB, open ...bool) served {
	t.Helper()
	return startServeOn(t, "127.0.0.1", len(open) > 0 && open[0])
}

// startServeOn is startServe on free ports of the address listen.
func startServeOn(t testing.TB, listen string, open bool) served {
	t.Helper()
	return startServeWith(t, ServeConfig{ListenAddress: listen, Open: open})
}

// startServeWith is startServe with cfg's listen address, openness and
// limits; ports, hostname and token directory are the tests' own.
func startServeWith(t testing.TB, cfg ServeConfig) served {
	t.Helper()
	dir := t.TempDir()
	if err := InstallToken(dir, testToken, time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Addrs, 1)
	done := make(chan error, 1)
	go func() {
		cfg.HTTPPorts, cfg.Hostname, cfg.TokenDir, cfg.NoSignals = []int{0, 0}, "probe-test", dir, true
		cfg.Ready = func(a Addrs) { ready <- a }
		done <- Serve(ctx, cfg)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Errorf("Serve did not return within 2s of its context ending")
		}
	})
	select {
	case a := <-ready:
		return served{Addrs: a, Dir: dir}
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve not ready after 5s")
	}
	return served{}
}

func port(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	panic("not a TCP or UDP address")
}

// freePort returns a loopback TCP and UDP port that nothing listens on
// (bound then released; good enough on a test machine).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(ln.Addr())
	ln.Close()
	return p
}

// fakeDNS answers A and AAAA queries on loopback from a fixed table and NXDOMAIN
// otherwise; it ignores the first `drop` queries to exercise retries.
type fakeDNS struct {
	addr    string
	queries atomic.Int32
}

func startDNS(t testing.TB, table map[string][]string, drop int32) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{addr: pc.LocalAddr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if f.queries.Add(1) <= drop {
				continue
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			name := strings.TrimSuffix(q.Name.String(), ".")
			ips, known := table[name]
			rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
			if !known {
				rh.RCode = dnsmessage.RCodeNameError
			}
			b := dnsmessage.NewBuilder(nil, rh)
			b.EnableCompression()
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			for _, ip := range ips {
				v4 := net.ParseIP(ip).To4()
				switch {
				case q.Type == dnsmessage.TypeA && v4 != nil:
					var a [4]byte
					copy(a[:], v4)
					b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1}, dnsmessage.AResource{A: a})
				case q.Type == dnsmessage.TypeAAAA && v4 == nil:
					var a [16]byte
					copy(a[:], net.ParseIP(ip))
					b.AAAAResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1}, dnsmessage.AAAAResource{AAAA: a})
				}
			}
			msg, err := b.Finish()
			if err != nil {
				continue
			}
			pc.WriteTo(msg, from)
		}
	})
	return f
}

func splitHostPort(t testing.TB, hp string) (string, int) {
	t.Helper()
	a, err := net.ResolveUDPAddr("udp", hp)
	if err != nil {
		t.Fatal(err)
	}
	return a.IP.String(), a.Port
}

func nopLogger() log.Logger { return log.NoOp{} }
