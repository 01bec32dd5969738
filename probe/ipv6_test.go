package probe

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestRunEveryKindOverIPv6: TCP, UDP and HTTP to an IPv6 address, and a
// name resolved to its AAAA records only (or its A records only), against
// the real Serve on ::1 and a DNS server on loopback.
func TestRunEveryKindOverIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	a := startServeOn(t, "::1", false)
	dns := startDNS(t, map[string][]string{"peer.overlab.test": {"127.0.0.1", "::1"}}, 0)
	dnsIP, dnsPort := splitHostPort(t, dns.addr)
	targets := []Target{
		{ID: "tcp", Kind: KindTCP, Address: "::1", Port: port(a.TCP), Probe: true, Auth: true, Family: FamilyIPv6},
		{ID: "udp", Kind: KindUDP, Address: "::1", Port: port(a.UDP), Probe: true, Auth: true, Family: FamilyIPv6},
		{ID: "http", Kind: KindHTTP, Address: "::1", Port: port(a.HTTP[0]), Probe: true, Auth: true, Family: FamilyIPv6},
		{ID: "dns6", Kind: KindDNS, Name: "peer.overlab.test", Address: dnsIP, Port: dnsPort, Family: FamilyIPv6},
		{ID: "dns4", Kind: KindDNS, Name: "peer.overlab.test", Address: dnsIP, Port: dnsPort, Family: FamilyIPv4},
		{ID: "dns", Kind: KindDNS, Name: "peer.overlab.test", Address: dnsIP, Port: dnsPort},
		// The probe listens on ::1 only: over IPv4 nothing answers.
		{ID: "tcp4", Kind: KindTCP, Address: "127.0.0.1", Port: port(a.TCP), Probe: true, Family: FamilyIPv4},
	}
	byID := map[string]Result{}
	for _, r := range Run(context.Background(), targets, WithTries(1), WithToken(testToken)) {
		byID[r.ID] = r
	}
	for _, id := range []string{"tcp", "udp", "http"} {
		if r := byID[id]; !r.Reachable || r.Via != ViaBanner || r.Peer != "probe-test" {
			t.Errorf("%s over IPv6: %+v, want the banner of probe-test", id, r)
		}
	}
	if r := byID["http"]; !strings.HasPrefix(r.Target, "http://[::1]:") {
		t.Errorf("http target %q, want the address in brackets", r.Target)
	}
	for id, want := range map[string][]string{"dns6": {"::1"}, "dns4": {"127.0.0.1"}, "dns": {"127.0.0.1", "::1"}} {
		if r := byID[id]; !r.Reachable || !slices.Equal(r.Addrs, want) {
			t.Errorf("%s: reachable=%v addrs=%v error=%q, want %v", id, r.Reachable, r.Addrs, r.Error, want)
		}
	}
	if r := byID["tcp4"]; r.Reachable {
		t.Errorf("tcp4 reached a probe that listens on ::1 only: %+v", r)
	}
}

func TestICMPv6SocketKinds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raw ICMP sockets need root")
	}
	if ln, err := net.ListenPacket("udp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	var targets []Target
	for i := 0; i < 8; i++ {
		targets = append(targets, Target{ID: fmt.Sprint(i), Kind: KindICMP, Address: "::1"})
	}
	for _, network := range []string{netRaw, netPing} {
		t.Run(network, func(t *testing.T) {
			if network == netPing && !pingSocketsAllowed() {
				t.Skip("net.ipv4.ping_group_range does not include gid 0")
			}
			for _, r := range Run(context.Background(), targets, withPinger(&pinger{network: network})) {
				if !r.Reachable || r.Tries != 1 || !strings.Contains(r.Output, "from ::1: icmp_seq=1 ") {
					t.Errorf("%+v, want an echo reply from ::1 on the first try", r)
				}
			}
		})
	}
}

func TestQuotesEcho6(t *testing.T) {
	// A 40-byte IPv6 header (next header 58) to fd00::2, then an echo
	// request id 0x1234 seq 3.
	dst := net.ParseIP("fd00::2")
	d := make([]byte, 48)
	d[0], d[6] = 0x60, 58
	copy(d[24:40], dst)
	copy(d[40:], []byte{128, 0, 0, 0})
	binary.BigEndian.PutUint16(d[44:], 0x1234)
	binary.BigEndian.PutUint16(d[46:], 3)
	if !quotesEcho6(d, dst, 0x1234, 3) {
		t.Error("our echo not recognised")
	}
	other := append([]byte(nil), d...)
	other[6] = 17
	for name, ok := range map[string]bool{
		"other dst":    quotesEcho6(d, net.ParseIP("fd00::3"), 0x1234, 3),
		"other id":     quotesEcho6(d, dst, 0x1235, 3),
		"other seq":    quotesEcho6(d, dst, 0x1234, 4),
		"not icmp":     quotesEcho6(other, dst, 0x1234, 3),
		"truncated":    quotesEcho6(d[:44], dst, 0x1234, 3),
		"ipv4 payload": quotesEcho(d, dst, 0x1234, 3),
	} {
		if ok {
			t.Errorf("%s: taken for our echo", name)
		}
	}
	if got := (&unreachError{from: net.ParseIP("fd00::1"), code: 3, what: icmp6.unreachable}).Error(); got != "destination address unreachable (ICMP from fd00::1)" {
		t.Errorf("ICMPv6 unreachable: %q", got)
	}
}

func TestTargetFamily(t *testing.T) {
	bad := Target{Kind: KindTCP, Address: "::1", Port: 1, Family: "ip6"}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `family "ip6" is not ipv4 or ipv6`) {
		t.Errorf("Validate = %v", err)
	}
	for fam, want := range map[string]string{"": "tcp", FamilyIPv4: "tcp4", FamilyIPv6: "tcp6"} {
		if got := (Target{Family: fam}).network("tcp"); got != want {
			t.Errorf("family %q dials %s, want %s", fam, got, want)
		}
	}
}
