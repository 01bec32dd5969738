package probe

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunEveryKindAgainstServe(t *testing.T) {
	a := startServe(t)
	dns := startDNS(t, map[string][]string{"peer.overlab.test": {"127.0.0.2", "127.0.0.1"}}, 0)
	dnsIP, dnsPort := splitHostPort(t, dns.addr)
	targets := []Target{
		{ID: "icmp", Kind: KindICMP, Address: "127.0.0.1"},
		{ID: "tcp", Kind: KindTCP, Address: "127.0.0.1", Port: port(a.TCP), Probe: true, Auth: true},
		{ID: "udp", Kind: KindUDP, Address: "127.0.0.1", Port: port(a.UDP), Probe: true, Auth: true},
		{ID: "http", Kind: KindHTTP, Address: "127.0.0.1", Port: port(a.HTTP[0]), Probe: true, Auth: true},
		{ID: "http2", Kind: KindHTTP, URL: fmt.Sprintf("http://127.0.0.1:%d/anything", port(a.HTTP[1])), Auth: true},
		{ID: "dns", Kind: KindDNS, Name: "peer.overlab.test", Address: dnsIP, Port: dnsPort},
	}
	results := Run(context.Background(), targets, WithToken(testToken))
	if len(results) != len(targets) {
		t.Fatalf("got %d results for %d targets", len(results), len(targets))
	}
	for i, r := range results {
		if r.ID != targets[i].ID || r.Kind != targets[i].Kind {
			t.Errorf("result %d is %s/%s, want %s/%s (order kept)", i, r.ID, r.Kind, targets[i].ID, targets[i].Kind)
		}
		if !r.Reachable || r.Tries != 1 || r.Error != "" {
			t.Errorf("%s: reachable=%v tries=%d error=%q, want reachable on the first try", r.ID, r.Reachable, r.Tries, r.Error)
		}
		if r.RTTMS <= 0 || r.RTTMS > 1000 {
			t.Errorf("%s: rtt %.3f ms is not a plausible loopback RTT", r.ID, r.RTTMS)
		}
	}
	byID := map[string]Result{}
	for _, r := range results {
		byID[r.ID] = r
	}
	for _, id := range []string{"tcp", "udp", "http"} {
		if r := byID[id]; r.Via != ViaBanner || r.Peer != "probe-test" {
			t.Errorf("%s: via=%q peer=%q, want the probe banner of probe-test", id, r.Via, r.Peer)
		}
	}
	if r := byID["icmp"]; r.Via != ViaEcho || !strings.Contains(r.Output, "from 127.0.0.1: icmp_seq=1") {
		t.Errorf("icmp: via=%q output=%q", r.Via, r.Output)
	}
	if r := byID["http2"]; r.Status != 200 || r.Via != ViaStatus || r.Peer != "probe-test" {
		t.Errorf("http2: status=%d via=%q peer=%q, want 200 by status from probe-test", r.Status, r.Via, r.Peer)
	}
	if r := byID["dns"]; !slices.Equal(r.Addrs, []string{"127.0.0.1", "127.0.0.2"}) || r.Via != ViaResolve {
		t.Errorf("dns: addrs=%v via=%q, want [127.0.0.1 127.0.0.2] sorted", r.Addrs, r.Via)
	}
	if want := fmt.Sprintf("127.0.0.1:%d", port(a.TCP)); byID["tcp"].Target != want {
		t.Errorf("tcp target %q, want %q", byID["tcp"].Target, want)
	}
}

func TestRunUnreachableGivesClearErrorsWithinDeadline(t *testing.T) {
	dns := startDNS(t, nil, 0)
	dnsIP, dnsPort := splitHostPort(t, dns.addr)
	// A TCP server that accepts but never greets, and a UDP socket that never replies.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closed := freePort(t)

	const timeout = 600 * time.Millisecond
	tests := []struct {
		target    Target
		wantErr   string
		wantTries int
	}{
		{Target{ID: "tcp-refused", Kind: KindTCP, Address: "127.0.0.1", Port: closed, Probe: true}, "connection refused", 3},
		{Target{ID: "http-refused", Kind: KindHTTP, Address: "127.0.0.1", Port: closed}, "connection refused", 3},
		{Target{ID: "udp-refused", Kind: KindUDP, Address: "127.0.0.1", Port: closed, Probe: true}, "connection refused (ICMP port unreachable)", 3},
		{Target{ID: "udp-silent", Kind: KindUDP, Address: "127.0.0.1", Port: port(silent.LocalAddr()), Probe: true}, "no reply to 3 UDP datagrams in 600ms", 3},
		{Target{ID: "tcp-mute", Kind: KindTCP, Address: "127.0.0.1", Port: port(mute.Addr()), Probe: true}, "connected, but no overlab-probe banner: i/o timeout", 3},
		{Target{ID: "dns-nx", Kind: KindDNS, Name: "nobody.overlab.test", Address: dnsIP, Port: dnsPort}, "no such host", 3},
		{Target{ID: "bad", Kind: "smoke", Address: "127.0.0.1"}, `invalid target: kind "smoke" is not one of icmp, tcp, udp, dns, http`, 0},
	}
	var targets []Target
	for _, tc := range tests {
		targets = append(targets, tc.target)
	}
	start := time.Now()
	results := Run(context.Background(), targets, WithTimeout(timeout))
	if el := time.Since(start); el > timeout+300*time.Millisecond {
		t.Errorf("Run took %v, want about the %v deadline at most", el, timeout)
	}
	for i, tc := range tests {
		r := results[i]
		if r.Reachable || r.Error != tc.wantErr || r.Tries != tc.wantTries {
			t.Errorf("%s: reachable=%v tries=%d error=%q, want unreachable after %d tries with %q",
				tc.target.ID, r.Reachable, r.Tries, r.Error, tc.wantTries, tc.wantErr)
		}
	}
}

func TestRunNonProbeTargets(t *testing.T) {
	// A service that is not a probe: the handshake is the evidence, a
	// greeting (like sshd's) is kept as output.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "SSH-2.0-OpenSSH_9.2\r\n")
			c.Close()
		}
	}()
	tgt := Target{ID: "ssh", Kind: KindTCP, Address: "127.0.0.1", Port: port(ln.Addr())}
	r := Run(context.Background(), []Target{tgt})[0]
	if !r.Reachable || r.Via != ViaConnect || r.Output != "SSH-2.0-OpenSSH_9.2" || r.Peer != "" {
		t.Errorf("non-probe target: %+v, want reachable via connect with the greeting as output", r)
	}
	tgt.Probe = true
	r = Run(context.Background(), []Target{tgt}, WithTimeout(300*time.Millisecond))[0]
	if r.Reachable || !strings.Contains(r.Error, `the banner is "SSH-2.0-OpenSSH_9.2", not overlab-probe`) {
		t.Errorf("probe target answered by sshd: %+v, want unreachable naming the wrong banner", r)
	}
}

func TestRunCountsRetries(t *testing.T) {
	// UDP: the first datagram is lost, the second answered.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var seen atomic.Int32
	go func() {
		buf := make([]byte, 512)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if seen.Add(1) > 1 {
				pc.WriteTo([]byte(Banner+" lossy"), from)
			}
		}
	}()
	// TCP: the first connection is dropped without a banner.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	flaky := testServer(t, "flaky")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if accepted.Add(1) == 1 {
				c.Close()
				continue
			}
			go flaky.echo(c)
		}
	}()
	// DNS: the first two queries are lost.
	dns := startDNS(t, map[string][]string{"late.overlab.test": {"127.0.0.9"}}, 2)
	dnsIP, dnsPort := splitHostPort(t, dns.addr)

	results := Run(context.Background(), []Target{
		{ID: "udp", Kind: KindUDP, Address: "127.0.0.1", Port: port(pc.LocalAddr()), Probe: true},
		{ID: "tcp", Kind: KindTCP, Address: "127.0.0.1", Port: port(ln.Addr()), Probe: true, Auth: true},
		{ID: "dns", Kind: KindDNS, Name: "late.overlab.test", Address: dnsIP, Port: dnsPort},
	}, WithTimeout(1500*time.Millisecond), WithToken(testToken))
	for _, want := range []struct {
		id    string
		tries int
		peer  string
	}{{"udp", 2, "lossy"}, {"tcp", 2, "flaky"}, {"dns", 2, ""}} {
		r := results[slices.IndexFunc(results, func(r Result) bool { return r.ID == want.id })]
		if !r.Reachable || r.Tries != want.tries || r.Peer != want.peer {
			t.Errorf("%s: reachable=%v tries=%d peer=%q error=%q, want reachable on try %d from %q",
				want.id, r.Reachable, r.Tries, r.Peer, r.Error, want.tries, want.peer)
		}
	}
}

func TestICMPSocketKinds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raw ICMP sockets need root")
	}
	// Many concurrent pings on raw sockets: each socket sees every reply and
	// must keep only its own (ID, sequence, source).
	var targets []Target
	for i := 1; i <= 24; i++ {
		targets = append(targets, Target{ID: fmt.Sprint(i), Kind: KindICMP, Address: fmt.Sprintf("127.0.0.%d", i)})
	}
	for _, network := range []string{netRaw, netPing} {
		t.Run(network, func(t *testing.T) {
			if network == netPing && !pingSocketsAllowed() {
				t.Skip("net.ipv4.ping_group_range does not include gid 0")
			}
			results := Run(context.Background(), targets, withPinger(&pinger{network: network}))
			for i, r := range results {
				want := fmt.Sprintf("from %s: icmp_seq=1 ", targets[i].Address)
				if !r.Reachable || r.Tries != 1 || !strings.Contains(r.Output, want) {
					t.Errorf("%s: %+v, want reachable on the first try with %q", targets[i].Address, r, want)
				}
			}
		})
	}
}

func pingSocketsAllowed() bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return false
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil {
		return false
	}
	return lo <= 0 && 0 <= hi
}

func TestQuotesEcho(t *testing.T) {
	// 20-byte IPv4 header to 10.0.0.2, then an echo request id 0x1234 seq 3.
	d := make([]byte, 28)
	d[0] = 0x45
	copy(d[16:20], net.IPv4(10, 0, 0, 2).To4())
	copy(d[20:], []byte{8, 0, 0, 0, 0x12, 0x34, 0, 3})
	if !quotesEcho(d, net.IPv4(10, 0, 0, 2), 0x1234, 3) {
		t.Error("our echo not recognised")
	}
	for name, ok := range map[string]bool{
		"other dst": quotesEcho(d, net.IPv4(10, 0, 0, 3), 0x1234, 3),
		"other id":  quotesEcho(d, net.IPv4(10, 0, 0, 2), 0x1235, 3),
		"other seq": quotesEcho(d, net.IPv4(10, 0, 0, 2), 0x1234, 4),
		"truncated": quotesEcho(d[:24], net.IPv4(10, 0, 0, 2), 0x1234, 3),
	} {
		if ok {
			t.Errorf("%s: taken for our echo", name)
		}
	}
}

func TestFailureWording(t *testing.T) {
	timeout := &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}
	tests := []struct {
		kind  string
		tries int
		err   error
		want  string
	}{
		{KindICMP, 3, timeout, "no reply to 3 ICMP echo requests in 2s"},
		{KindICMP, 1, context.DeadlineExceeded, "no reply to 1 ICMP echo request in 2s"},
		{KindUDP, 2, timeout, "no reply to 2 UDP datagrams in 2s"},
		{KindTCP, 3, timeout, "i/o timeout"},
		{KindICMP, 3, &unreachError{from: net.IPv4(10, 0, 0, 1), code: 1}, "destination host unreachable (ICMP from 10.0.0.1)"},
		{KindDNS, 3, &net.DNSError{Err: "server misbehaving", Name: "x"}, "server misbehaving"},
	}
	for _, tc := range tests {
		if got := failure(Target{Kind: tc.kind}, tc.tries, 2*time.Second, tc.err, nil); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.kind, tc.err, got, tc.want)
		}
	}
}

func BenchmarkRun50Loopback(b *testing.B) {
	a := startServe(b)
	var targets []Target
	for i := range 50 {
		switch i % 4 {
		case 0:
			targets = append(targets, Target{Kind: KindTCP, Address: "127.0.0.1", Port: port(a.TCP), Probe: true, Auth: true})
		case 1:
			targets = append(targets, Target{Kind: KindUDP, Address: "127.0.0.1", Port: port(a.UDP), Probe: true, Auth: true})
		case 2:
			targets = append(targets, Target{Kind: KindHTTP, Address: "127.0.0.1", Port: port(a.HTTP[0]), Probe: true, Auth: true})
		case 3:
			targets = append(targets, Target{Kind: KindICMP, Address: "127.0.0.1"})
		}
	}
	for b.Loop() {
		for _, r := range Run(context.Background(), targets, WithToken(testToken)) {
			if !r.Reachable {
				b.Fatalf("%s %s: %s", r.Kind, r.Target, r.Error)
			}
		}
	}
}

// TestICMPPingSocketInNetns covers the unprivileged ping socket (the path
// taken inside Docker containers, whose ping_group_range lets everyone ping)
// on a machine where it is off: the test binary runs again in a network
// namespace of its own, with the sysctl on and only loopback.
func TestICMPPingSocketInNetns(t *testing.T) {
	if pingSocketsAllowed() {
		t.Skip("ping sockets already allowed: TestICMPSocketKinds/udp4 covers them")
	}
	if os.Geteuid() != 0 || testing.Short() {
		t.Skip("needs root to make a network namespace; skipped with -short")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare(1)")
	}
	script := `ip link set lo up && echo "0 0" > /proc/sys/net/ipv4/ping_group_range && exec "$0" -test.run '^TestICMPSocketKinds$/udp4' -test.v`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, unshare, "--net", "--", "sh", "-c", script, os.Args[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("in a netns: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestICMPSocketKinds/udp4") {
		t.Errorf("udp4 subtest did not pass in the netns:\n%s", out)
	}
}

func TestPerTargetTimeout(t *testing.T) {
	// A UDP port nobody answers: the per-target deadline bounds the wait.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	start := time.Now()
	res := Run(context.Background(), []Target{{ID: "a", Kind: KindUDP, Address: "127.0.0.1", Port: port, TimeoutMS: 300}}, WithTimeout(5*time.Second))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("per-target deadline of 300ms ignored: took %v", took)
	}
	if res[0].Reachable || !strings.Contains(res[0].Error, "300ms") {
		t.Errorf("result %+v: want unreachable within 300ms", res[0])
	}
}

// TestSlowPeerIsReachable: a peer that answers later than one try's share
// of the deadline, but within the deadline, is reachable. Expected-
// unreachable rows use a short deadline; this is what keeps them honest:
// silence, not slowness, makes "unreachable as expected".
func TestSlowPeerIsReachable(t *testing.T) {
	const delay = 250 * time.Millisecond
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			time.AfterFunc(delay, func() { pc.WriteTo([]byte(Banner+" slow-udp"), from) })
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	slow := testServer(t, "slow-tcp")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				time.Sleep(delay)
				slow.echo(c)
			}()
		}
	}()
	// 3 tries in 600 ms: one try's share (200 ms) is shorter than the delay.
	results := Run(context.Background(), []Target{
		{ID: "udp", Kind: KindUDP, Address: "127.0.0.1", Port: port(pc.LocalAddr()), Probe: true, TimeoutMS: 600},
		{ID: "tcp", Kind: KindTCP, Address: "127.0.0.1", Port: port(ln.Addr()), Probe: true, Auth: true, TimeoutMS: 600},
	}, WithTries(3), WithToken(testToken))
	for _, r := range results {
		if !r.Reachable || (r.Kind == KindUDP && r.RTTMS < float64(delay.Milliseconds())-50) {
			t.Errorf("%s: reachable=%v rtt=%.1fms tries=%d error=%q, want reachable after about %v", r.ID, r.Reachable, r.RTTMS, r.Tries, r.Error, delay)
		}
		if !strings.HasPrefix(r.Peer, "slow-") {
			t.Errorf("%s: peer %q, want the slow probe", r.ID, r.Peer)
		}
	}
}
