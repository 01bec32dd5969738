package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// The socket kinds a pinger may force (tests); each family has its own of
// both (icmpProto).
const (
	netPing = "udp4"     // unprivileged ping socket (net.ipv4.ping_group_range, both families)
	netRaw  = "ip4:icmp" // raw socket (CAP_NET_RAW, which containers have)
)

// icmpProto is ICMP echo in one address family.
type icmpProto struct {
	ping, raw string // the ping socket's and the raw socket's network
	listen    string // the unspecified address
	proto     int    // the IP protocol number, for icmp.ParseMessage
	echo      icmp.Type
	reply     icmp.Type
	unreach   icmp.Type
	// quotes says whether an ICMP error's payload quotes our echo to dst.
	quotes func(data []byte, dst net.IP, id, seq int) bool
	// unreachable names the codes of the family's destination unreachable.
	unreachable map[int]string
}

var (
	icmp4 = icmpProto{"udp4", "ip4:icmp", "0.0.0.0", 1, ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply, ipv4.ICMPTypeDestinationUnreachable, quotesEcho,
		map[int]string{0: "network", 1: "host", 2: "protocol", 3: "port", 9: "network (prohibited)", 10: "host (prohibited)", 13: "communication (prohibited)"}}
	icmp6 = icmpProto{"udp6", "ip6:ipv6-icmp", "::", 58, ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, ipv6.ICMPTypeDestinationUnreachable, quotesEcho6,
		map[int]string{0: "network (no route)", 1: "communication (prohibited)", 3: "address", 4: "port", 5: "address (source policy)", 6: "address (reject route)"}}
)

// pinger sends ICMP echo requests. It prefers an unprivileged ping socket,
// on which the kernel demultiplexes replies per socket, and falls back to a
// raw socket, on which every socket sees every reply: those are matched by
// ID, sequence and source address.
type pinger struct {
	network string // forced socket kind, netPing or netRaw (tests); chosen once per family otherwise
	mu      sync.Mutex
	chosen  map[string]string // the family's ping network -> the socket network chosen
}

var echoID atomic.Uint32

func init() { echoID.Store(uint32(os.Getpid())) }

// socket is the network of the family's socket: forced, or the ping
// socket when the kernel lets us open one, else the raw socket.
func (p *pinger) socket(f icmpProto) string {
	switch p.network {
	case netPing:
		return f.ping
	case netRaw:
		return f.raw
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n, ok := p.chosen[f.ping]; ok {
		return n
	}
	if p.chosen == nil {
		p.chosen = map[string]string{}
	}
	n := f.raw
	if c, err := icmp.ListenPacket(f.ping, f.listen); err == nil {
		c.Close()
		n = f.ping
	}
	p.chosen[f.ping] = n
	return n
}

func (p *pinger) listen(f icmpProto) (*icmp.PacketConn, string, error) {
	network := p.socket(f)
	c, err := icmp.ListenPacket(network, f.listen)
	if err != nil {
		if network == f.raw {
			return nil, "", fmt.Errorf("cannot open an ICMP socket (ping sockets are off in net.ipv4.ping_group_range and raw sockets need CAP_NET_RAW): %w", err)
		}
		return nil, "", fmt.Errorf("cannot open an ICMP %s socket: %w", network, err)
	}
	return c, network, nil
}

// unreachError is an ICMP destination unreachable answer to our echo.
type unreachError struct {
	from net.IP
	code int
	what map[int]string // the family's codes; nil: IPv4's
}

func (e *unreachError) Error() string {
	codes := e.what
	if codes == nil {
		codes = icmp4.unreachable
	}
	what := codes[e.code]
	if what == "" {
		what = fmt.Sprintf("code %d", e.code)
	}
	return fmt.Sprintf("destination %s unreachable (ICMP from %s)", what, e.from)
}

// ping sends one echo request to addr (an address, or a name resolved in
// family: "ip4", "ip6", or "" for IPv4) and waits for its reply.
func (p *pinger) ping(ctx context.Context, addr, family string, seq int) (outcome, error) {
	ip, err := resolveIP(ctx, addr, family)
	if err != nil {
		return outcome{}, err
	}
	f := icmp4
	if ip.To4() == nil {
		f = icmp6
	}
	conn, network, err := p.listen(f)
	if err != nil {
		return outcome{}, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetReadDeadline(dl)
	}
	// An expired deadline unblocks ReadFrom when ctx is canceled early.
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()

	id := int(echoID.Add(1) & 0xffff)
	msg := icmp.Message{Type: f.echo, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte(Banner)}}
	wb, err := msg.Marshal(nil) // the kernel sums an ICMPv6 message itself
	if err != nil {
		return outcome{}, err
	}
	var dst net.Addr = &net.IPAddr{IP: ip}
	if network == f.ping {
		dst = &net.UDPAddr{IP: ip}
	}
	start := time.Now()
	if _, err := conn.WriteTo(wb, dst); err != nil {
		return outcome{}, err
	}
	return awaitReply(ctx, conn, f, network == f.raw, ip, id, seq, start)
}

// awaitReply reads until our echo's reply, or an ICMP error about it.
func awaitReply(ctx context.Context, conn *icmp.PacketConn, f icmpProto, raw bool, ip net.IP, id, seq int, start time.Time) (outcome, error) {
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return outcome{}, ctx.Err()
			}
			return outcome{}, err
		}
		rtt := time.Since(start)
		src := addrIP(from)
		m, err := icmp.ParseMessage(f.proto, buf[:n])
		if err != nil {
			continue
		}
		switch body := m.Body.(type) {
		case *icmp.Echo:
			// A ping socket rewrites the ID to its port and only sees its
			// own replies; a raw socket must check the ID too.
			if m.Type != f.reply || body.Seq != seq || !src.Equal(ip) || (raw && body.ID != id) {
				continue
			}
			return outcome{rtt: rtt, via: ViaEcho,
				output: fmt.Sprintf("%d bytes from %s: icmp_seq=%d time=%.3f ms", n, src, seq, float64(rtt.Microseconds())/1000)}, nil
		case *icmp.DstUnreach:
			if raw && m.Type == f.unreach && f.quotes(body.Data, ip, id, seq) {
				return outcome{}, &unreachError{from: src, code: m.Code, what: f.unreachable}
			}
		}
	}
}

// quotesEcho says whether the IPv4 datagram quoted in an ICMP error is our
// echo request to dst.
func quotesEcho(data []byte, dst net.IP, id, seq int) bool {
	if len(data) < 20 {
		return false
	}
	ihl := int(data[0]&0x0f) * 4
	if ihl < 20 || len(data) < ihl+8 || !net.IP(data[16:20]).Equal(dst) {
		return false
	}
	e := data[ihl:]
	return e[0] == byte(ipv4.ICMPTypeEcho) &&
		int(binary.BigEndian.Uint16(e[4:6])) == id && int(binary.BigEndian.Uint16(e[6:8])) == seq
}

// quotesEcho6 says whether the IPv6 packet quoted in an ICMPv6 error is
// our echo request to dst (no extension headers: ours has none).
func quotesEcho6(data []byte, dst net.IP, id, seq int) bool {
	const hdr = 40
	if len(data) < hdr+8 || data[6] != 58 || !net.IP(data[24:40]).Equal(dst) {
		return false
	}
	e := data[hdr:]
	return e[0] == byte(ipv6.ICMPTypeEchoRequest) &&
		int(binary.BigEndian.Uint16(e[4:6])) == id && int(binary.BigEndian.Uint16(e[6:8])) == seq
}

func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.IPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	}
	return nil
}

// resolveIP returns addr as an IP, resolving a name in family ("ip6" for
// IPv6, else IPv4).
func resolveIP(ctx context.Context, addr, family string) (net.IP, error) {
	if ip := net.ParseIP(addr); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			return ip4, nil
		}
		return ip, nil
	}
	network := "ip4"
	if family == FamilyIPv6 {
		network = "ip6"
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, errors.New("no address")
	}
	return ips[0], nil
}
