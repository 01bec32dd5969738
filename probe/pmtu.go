package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// MinMTU is the smallest IPv4 MTU a path may have; PathMTU searches down to it.
const MinMTU = 576

// udpIPHeaders is what IPv4 and UDP add to a datagram's payload.
const udpIPHeaders = 28

// PathMTU finds the largest IPv4 packet that reaches a UDP echo at addr (an
// overlab probe's UDP port) with the don't-fragment bit set: ping -M do
// without a raw socket. It searches from max down to MinMTU; each size gets
// tries datagrams within wait. 0 and an error mean even MinMTU got no reply.
// With a token each datagram is proven (kind mtu): a probe answers nothing
// else (the zero Token sends unproven datagrams, for a probe run --open).
func PathMTU(ctx context.Context, addr string, max, tries int, wait time.Duration, tok Token) (int, error) {
	var prover *Token
	if !tok.IsZero() {
		prover = &tok
	}
	conn, err := dialer.DialContext(ctx, "udp4", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := setDontFragment(conn.(*net.UDPConn)); err != nil {
		return 0, err
	}
	passes := func(size int) (bool, error) {
		reply := make([]byte, 512)
		for i := 0; i < tries; i++ {
			buf, _ := udpDatagram(i, prover, "mtu", size)
			if _, err := io.WriteString(conn, buf); err != nil {
				if errors.Is(err, syscall.EMSGSIZE) {
					return false, nil // larger than the local interface
				}
				return false, err
			}
			conn.SetReadDeadline(time.Now().Add(wait))
			if _, err := conn.Read(reply); err == nil {
				return true, nil
			} else if errors.Is(err, syscall.ECONNREFUSED) {
				return false, fmt.Errorf("%s: connection refused: no UDP echo there", addr)
			}
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
		}
		return false, nil
	}
	if ok, err := passes(max); ok || err != nil {
		return map[bool]int{true: max}[ok], err
	}
	lo, hi := MinMTU, max-1 // lo is assumed to pass until shown otherwise
	if ok, err := passes(lo); err != nil {
		return 0, err
	} else if !ok {
		return 0, fmt.Errorf("no reply from %s even to %d-byte packets", addr, lo)
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		ok, err := passes(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, nil
}
