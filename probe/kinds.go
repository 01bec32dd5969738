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

// ConnectedBut starts the error of a TCP probe whose connection the target
// accepted but that got no proven banner: the address was reached.
const ConnectedBut = "connected, but"

// tryTCP connects; with a token it proves the request first, as a probe of
// the run answers nothing else. A probe target must then greet with its
// banner (and, with a token, its proof), and echo.
func tryTCP(ctx context.Context, t Target, tok *Token) (outcome, error) {
	start := time.Now()
	conn, err := dialer.DialContext(ctx, t.network("tcp"), t.String())
	if err != nil {
		return outcome{}, err
	}
	rtt := time.Since(start)
	defer conn.Close()
	dl, _ := ctx.Deadline()
	var nonce string
	if tok != nil {
		var line string
		line, nonce = tok.authLine("tcp")
		conn.SetWriteDeadline(dl)
		if _, err := io.WriteString(conn, line+"\n"); err != nil {
			return outcome{}, fmt.Errorf("%s sending the proof failed: %s", ConnectedBut, shortErr(err))
		}
	}
	r := bufio.NewReaderSize(io.LimitReader(conn, 512+EchoSize), 2*EchoSize)
	if !t.Probe {
		conn.SetReadDeadline(earliest(dl, time.Now().Add(bannerPeek)))
		line, _ := r.ReadString('\n')
		peer, _ := answeredBy(tok, "tcp", nonce, line)
		return outcome{rtt: rtt, via: ViaConnect, output: strings.TrimSpace(line), peer: peer}, nil
	}
	conn.SetDeadline(dl)
	line, err := r.ReadString('\n')
	if err != nil {
		return outcome{}, fmt.Errorf("%s no %s banner: %s", ConnectedBut, Banner, shortErr(err))
	}
	peer, err := answeredBy(tok, "tcp", nonce, line)
	if err != nil {
		return outcome{}, err
	}
	// The echo proves the stream carries data both ways, not just a greeting.
	echo := echoLine(start.UnixNano())
	if _, err := io.WriteString(conn, echo); err != nil {
		return outcome{}, fmt.Errorf("banner received, echo failed: %s", shortErr(err))
	}
	back, err := r.ReadString('\n')
	if err != nil || back != echo {
		return outcome{}, fmt.Errorf("banner received, the %d-byte echo failed (a path MTU too small for the network's?): %s", EchoSize, orString(err, fmt.Sprintf("got %d other bytes", len(back))))
	}
	return outcome{rtt: rtt, via: ViaBanner, output: strings.TrimSpace(line), peer: peer}, nil
}

func tryUDP(ctx context.Context, t Target, try int, tok *Token) (outcome, error) {
	conn, err := dialer.DialContext(ctx, t.network("udp"), t.String())
	if err != nil {
		return outcome{}, err
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	start := time.Now()
	datagram, nonce := udpDatagram(try, tok, "udp", EchoSize)
	if _, err := io.WriteString(conn, datagram); err != nil {
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
	peer, perr := answeredBy(tok, "udp", nonce, reply)
	if t.Probe && perr != nil {
		return outcome{}, perr
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

func tryHTTP(ctx context.Context, t Target, tok *Token) (outcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url(), nil)
	if err != nil {
		return outcome{}, err
	}
	var nonce string
	if tok != nil {
		var line string
		line, nonce = tok.authLine("http")
		req.Header.Set(authHeader, line)
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
	peer, perr := answeredBy(tok, "http", nonce, first)
	out := outcome{rtt: rtt, via: ViaStatus, status: resp.StatusCode, peer: peer,
		output: strings.TrimSpace("HTTP " + resp.Status + " " + strings.TrimSpace(first))}
	if t.Probe {
		if resp.StatusCode != http.StatusOK || perr != nil {
			return outcome{}, fmt.Errorf("HTTP %s, but not from %s: %s", resp.Status, Banner, orString(perr, fmt.Sprintf("%q", clip(first))))
		}
		out.via = ViaBanner
	}
	return out, nil
}

// answeredBy reads a probe's banner line: the host that answered, and an
// error when the line is no banner or, for a proven request (tok set), its
// proof does not match: then it is not a probe of this run, and its host
// name is not taken as the peer.
func answeredBy(tok *Token, kind, nonce, line string) (string, error) {
	host := peerOf(line)
	switch {
	case host == "":
		return "", fmt.Errorf("an answer came, but the banner is %q, not %s", clip(strings.TrimSpace(line)), Banner)
	case tok == nil:
		return host, nil
	}
	if _, ok := tok.verifyReply(kind, nonce, strings.TrimSpace(line)); !ok {
		return "", fmt.Errorf("%s %s answered, but without this run's proof: not a probe of this run", Banner, host)
	}
	return host, nil
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
