package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// bannerPeek bounds how long a TCP probe of a non-probe target waits for a
// greeting (sshd sends one, web servers do not); it is evidence only.
const bannerPeek = 100 * time.Millisecond

func tryTCP(ctx context.Context, t Target) (outcome, error) {
	start := time.Now()
	conn, err := dialer.DialContext(ctx, t.network("tcp"), t.String())
	if err != nil {
		return outcome{}, err
	}
	rtt := time.Since(start)
	defer conn.Close()
	dl, _ := ctx.Deadline()
	r := bufio.NewReaderSize(io.LimitReader(conn, 512+EchoSize), 2*EchoSize)
	if !t.Probe {
		conn.SetReadDeadline(earliest(dl, time.Now().Add(bannerPeek)))
		line, _ := r.ReadString('\n')
		return outcome{rtt: rtt, via: ViaConnect, output: strings.TrimSpace(line), peer: peerOf(line)}, nil
	}
	conn.SetDeadline(dl)
	line, err := r.ReadString('\n')
	if err != nil {
		return outcome{}, fmt.Errorf("connected, but no %s banner: %s", Banner, shortErr(err))
	}
	peer := peerOf(line)
	if peer == "" {
		return outcome{}, fmt.Errorf("connected, but the banner is %q, not %s", strings.TrimSpace(line), Banner)
	}
	// The echo proves the stream carries data both ways, not just a greeting.
	nonce := echoLine(start.UnixNano())
	if _, err := io.WriteString(conn, nonce); err != nil {
		return outcome{}, fmt.Errorf("banner received, echo failed: %s", shortErr(err))
	}
	back, err := r.ReadString('\n')
	if err != nil || back != nonce {
		return outcome{}, fmt.Errorf("banner received, the %d-byte echo failed (a path MTU too small for the network's?): %s", EchoSize, orString(err, fmt.Sprintf("got %d other bytes", len(back))))
	}
	return outcome{rtt: rtt, via: ViaBanner, output: strings.TrimSpace(line), peer: peer}, nil
}

func tryUDP(ctx context.Context, t Target, try int) (outcome, error) {
	conn, err := dialer.DialContext(ctx, t.network("udp"), t.String())
	if err != nil {
		return outcome{}, err
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	start := time.Now()
	if _, err := io.WriteString(conn, udpDatagram(try)); err != nil {
		return outcome{}, err
	}
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return outcome{}, errors.New("connection refused (ICMP port unreachable)")
		}
		return outcome{}, err
	}
	rtt := time.Since(start)
	reply := string(buf[:n])
	peer := peerOf(reply)
	if t.Probe && peer == "" {
		return outcome{}, fmt.Errorf("a reply came, but it is %q, not %s", clip(reply), Banner)
	}
	via := ViaReply
	if peer != "" {
		via = ViaBanner
	}
	return outcome{rtt: rtt, via: via, output: strings.TrimSpace(reply), peer: peer}, nil
}

func tryDNS(ctx context.Context, t Target) (outcome, error) {
	res := net.DefaultResolver
	if t.Address != "" {
		server := t.resolverAddr()
		res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, server)
		}}
	}
	start := time.Now()
	addrs, err := lookup(ctx, res, t.Name, t.Family)
	if err != nil {
		return outcome{}, err
	}
	slices.Sort(addrs)
	return outcome{rtt: time.Since(start), via: ViaResolve, addrs: addrs,
		output: t.Name + " -> " + strings.Join(addrs, ", ")}, nil
}

// lookup resolves name: its A and AAAA records, or one family's only.
func lookup(ctx context.Context, res *net.Resolver, name, family string) ([]string, error) {
	if family == "" {
		return res.LookupHost(ctx, name)
	}
	ips, err := res.LookupIP(ctx, map[string]string{FamilyIPv4: "ip4", FamilyIPv6: "ip6"}[family], name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out, nil
}

// httpClient ignores proxy settings on purpose: a probe must reach the
// target itself, and lab hosts have nowhere else to send traffic.
var httpClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// familyClient is httpClient dialing over one family only.
func familyClient(network string) *http.Client {
	c := *httpClient
	c.Transport = &http.Transport{Proxy: nil, DisableKeepAlives: true, DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}
	return &c
}

func tryHTTP(ctx context.Context, t Target) (outcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url(), nil)
	if err != nil {
		return outcome{}, err
	}
	client := httpClient
	if t.Family != "" {
		client = familyClient(t.network("tcp"))
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return outcome{}, unwrapURLError(err)
	}
	rtt := time.Since(start)
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	first, _, _ := strings.Cut(string(body), "\n")
	peer := peerOf(first)
	out := outcome{rtt: rtt, via: ViaStatus, status: resp.StatusCode, peer: peer,
		output: strings.TrimSpace("HTTP " + resp.Status + " " + strings.TrimSpace(first))}
	if t.Probe {
		if resp.StatusCode != http.StatusOK || peer == "" {
			return outcome{}, fmt.Errorf("HTTP %s, but not from %s: %q", resp.Status, Banner, clip(first))
		}
		out.via = ViaBanner
	}
	return out, nil
}

// peerOf returns the hostname in an "overlab-probe <hostname>" line, or "".
func peerOf(line string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), Banner+" ")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, " ")
	return host
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func orString(err error, s string) string {
	if err != nil {
		return shortErr(err)
	}
	return s
}
