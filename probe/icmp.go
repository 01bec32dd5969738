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
)

const (
	netPing = "udp4"     // unprivileged ping socket (net.ipv4.ping_group_range)
	netRaw  = "ip4:icmp" // raw socket (CAP_NET_RAW, which containers have)
)

// pinger sends ICMP echo requests. It prefers an unprivileged ping socket,
// on which the kernel demultiplexes replies per socket, and falls back to a
// raw socket, on which every socket sees every reply: those are matched by
// ID, sequence and source address.
type pinger struct {
	network string // forced socket type (tests); chosen once otherwise
	once    sync.Once
}

var echoID atomic.Uint32

func init() { echoID.Store(uint32(os.Getpid())) }

func (p *pinger) listen() (*icmp.PacketConn, string, error) {
	p.once.Do(func() {
		if p.network != "" {
			return
		}
		p.network = netRaw
		if c, err := icmp.ListenPacket(netPing, "0.0.0.0"); err == nil {
			c.Close()
			p.network = netPing
		}
	})
	c, err := icmp.ListenPacket(p.network, "0.0.0.0")
	if err != nil {
		if p.network == netRaw {
			return nil, "", fmt.Errorf("cannot open an ICMP socket (ping sockets are off in net.ipv4.ping_group_range and raw sockets need CAP_NET_RAW): %w", err)
		}
		return nil, "", fmt.Errorf("cannot open an ICMP %s socket: %w", p.network, err)
	}
	return c, p.network, nil
}

// unreachError is an ICMP destination unreachable answer to our echo.
type unreachError struct {
	from net.IP
	code int
}

func (e *unreachError) Error() string {
	what := map[int]string{0: "network", 1: "host", 2: "protocol", 3: "port", 9: "network (prohibited)", 10: "host (prohibited)", 13: "communication (prohibited)"}[e.code]
	if what == "" {
		what = fmt.Sprintf("code %d", e.code)
	}
	return fmt.Sprintf("destination %s unreachable (ICMP from %s)", what, e.from)
}

func (p *pinger) ping(ctx context.Context, addr string, seq int) (outcome, error) {
	ip, err := resolve4(ctx, addr)
	if err != nil {
		return outcome{}, err
	}
	conn, network, err := p.listen()
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
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte(Banner)}}
	wb, err := msg.Marshal(nil)
	if err != nil {
		return outcome{}, err
	}
	var dst net.Addr = &net.IPAddr{IP: ip}
	if network == netPing {
		dst = &net.UDPAddr{IP: ip}
	}
	start := time.Now()
	if _, err := conn.WriteTo(wb, dst); err != nil {
		return outcome{}, err
	}
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
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil {
			continue
		}
		switch body := m.Body.(type) {
		case *icmp.Echo:
			// A ping socket rewrites the ID to its port and only sees its
			// own replies; a raw socket must check the ID too.
			if m.Type != ipv4.ICMPTypeEchoReply || body.Seq != seq || !src.Equal(ip) || (network == netRaw && body.ID != id) {
				continue
			}
			return outcome{rtt: rtt, via: ViaEcho,
				output: fmt.Sprintf("%d bytes from %s: icmp_seq=%d time=%.3f ms", n, src, seq, float64(rtt.Microseconds())/1000)}, nil
		case *icmp.DstUnreach:
			if network == netRaw && quotesEcho(body.Data, ip, id, seq) {
				return outcome{}, &unreachError{from: src, code: m.Code}
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

func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.IPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	}
	return nil
}

// resolve4 returns addr's IPv4 address, resolving a name if need be.
func resolve4(ctx context.Context, addr string) (net.IP, error) {
	if ip := net.ParseIP(addr); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			return ip4, nil
		}
		return nil, errors.New("ICMP echo to IPv6 addresses is not supported")
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", addr)
	if err != nil {
		return nil, err
	}
	return ips[0], nil
}
