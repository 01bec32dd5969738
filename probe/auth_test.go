package probe

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// udpExchange sends payload to addr and returns the reply, or nil when
// nothing came within wait.
func udpExchange(t *testing.T, addr net.Addr, payload string, wait time.Duration) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, payload); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// tcpGreeting sends first (if any) on a new connection and returns all the
// server says until it closes or goes quiet for wait.
func tcpGreeting(t *testing.T, addr net.Addr, first string, wait time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if first != "" {
		io.WriteString(c, first)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	b, _ := io.ReadAll(c)
	return string(b)
}

func otherToken(t *testing.T) Token {
	t.Helper()
	o, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// A probe answers TCP, UDP and HTTP only to requests proven with a token of
// its directory: nothing at all to a request without one, with another
// run's token, or replayed.
func TestServeAnswersOnlyProvenRequests(t *testing.T) {
	a := startServe(t)
	other := otherToken(t)
	line, _ := other.authLine("tcp")
	for what, first := range map[string]string{
		"no proof":          "hello\n",
		"another run's":     line + "\n",
		"a person's nc":     "\n",
		"an overlong line":  strings.Repeat("x", 4000) + "\n",
		"a proof of udp":    func() string { l, _ := testToken.authLine("udp"); return l + "\n" }(),
		"a malformed proof": "OLP1 tcp 00 00\n",
	} {
		if got := tcpGreeting(t, a.TCP, first, time.Second); got != "" {
			t.Errorf("tcp, %s: the probe said %q, want nothing", what, got)
		}
	}
	good, nonce := testToken.authLine("tcp")
	got := tcpGreeting(t, a.TCP, good+"\nping\n", 300*time.Millisecond)
	if host, ok := testToken.verifyReply("tcp", nonce, strings.SplitN(got, "\n", 2)[0]); !ok || host != "probe-test" || !strings.HasSuffix(got, "\nping\n") {
		t.Errorf("tcp with a proof: %q, want the proven banner of probe-test then the echo", got)
	}
	// The same proof again is a replay.
	if got := tcpGreeting(t, a.TCP, good+"\n", time.Second); got != "" {
		t.Errorf("tcp, a replayed proof: %q, want nothing", got)
	}

	big := strings.Repeat("x", EchoSize)
	for what, d := range map[string]string{
		"no proof":      "overlab-probe ping 1\n" + big,
		"another run's": func() string { s, _ := udpDatagram(1, &other, "udp", EchoSize); return s }(),
		"a proof of http": func() string {
			l, _ := testToken.authLine("http")
			return l + "\n" + big
		}(),
	} {
		if r := udpExchange(t, a.UDP, d, 300*time.Millisecond); r != nil {
			t.Errorf("udp, %s: the probe replied %q, want nothing", what, r)
		}
	}
	datagram, nonce := udpDatagram(1, &testToken, "udp", EchoSize)
	r := udpExchange(t, a.UDP, datagram, time.Second)
	if host, ok := testToken.verifyReply("udp", nonce, string(r)); !ok || host != "probe-test" {
		t.Errorf("udp with a proof: %q, want the proven banner of probe-test", r)
	}
	if r := udpExchange(t, a.UDP, datagram, 300*time.Millisecond); r != nil {
		t.Errorf("udp, a replayed datagram: %q, want nothing", r)
	}
	// A proven but short datagram gets no more bytes back than it had.
	short, _ := testToken.authLine("udp")
	if r := udpExchange(t, a.UDP, short, time.Second); r == nil || len(r) > len(short) {
		t.Errorf("udp, a %d-byte proven datagram: %d bytes back, want some and no more than sent", len(short), len(r))
	}

	for what, header := range map[string]string{"no proof": "", "another run's": func() string { l, _ := other.authLine("http"); return l }()} {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/", a.HTTP[0]), nil)
		if header != "" {
			req.Header.Set(authHeader, header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || len(body) != 0 {
			t.Errorf("http, %s: %s %q, want 403 and no body", what, resp.Status, body)
		}
	}
}

// A token past its end proves nothing; a client of another run (another
// token) takes no banner without its own proof for a peer.
func TestExpiredAndForeignTokens(t *testing.T) {
	a := startServe(t)
	short := otherToken(t)
	if err := InstallToken(a.Dir, short, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	tgt := Target{ID: "u", Kind: KindUDP, Address: "127.0.0.1", Port: port(a.UDP), Probe: true, Auth: true}
	if r := Run(context.Background(), []Target{tgt}, WithToken(short))[0]; !r.Reachable {
		t.Errorf("a fresh token: %+v", r)
	}
	time.Sleep(100 * time.Millisecond)
	if r := Run(context.Background(), []Target{tgt}, WithToken(short), WithTimeout(300*time.Millisecond))[0]; r.Reachable {
		t.Errorf("an expired token still proves requests: %+v", r)
	}
	// A probe started with --open answers anyone with its plain banner: a
	// client of a run does not take that for one of its probes.
	open := startServe(t, true)
	for _, k := range []string{KindTCP, KindUDP, KindHTTP} {
		p := map[string]int{KindTCP: port(open.TCP), KindUDP: port(open.UDP), KindHTTP: port(open.HTTP[0])}[k]
		r := Run(context.Background(), []Target{{ID: k, Kind: k, Address: "127.0.0.1", Port: p, Probe: true, Auth: true}}, WithToken(otherToken(t)), WithTimeout(500*time.Millisecond))[0]
		if r.Reachable || !strings.Contains(r.Error, "without this run's proof") {
			t.Errorf("%s to an open probe of no run: %+v, want refused for its missing proof", k, r)
		}
	}
}

// A probe started by hand with --open greets anyone (a person's nc), but its
// UDP echo never sends more bytes than it received.
func TestOpenServeNeverAmplifies(t *testing.T) {
	a := startServe(t, true)
	if got := tcpGreeting(t, a.TCP, "\n", 500*time.Millisecond); got != "overlab-probe probe-test\n\n" {
		t.Errorf("nc to an open probe: %q", got)
	}
	if got := tcpGreeting(t, a.TCP, "", 500*time.Millisecond); got != "overlab-probe probe-test\n" {
		t.Errorf("a silent client of an open probe: %q", got)
	}
	for _, n := range []int{1, 5, 13, 200} {
		r := udpExchange(t, a.UDP, strings.Repeat("?", n), time.Second)
		if r == nil || len(r) > n {
			t.Errorf("a %d-byte datagram: %d bytes back, want an answer of at most %d", n, len(r), n)
		}
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/", a.HTTP[0]))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "overlab-probe probe-test\n" {
		t.Errorf("http to an open probe: %s %q", resp.Status, body)
	}
}

// A token never prints, logs or marshals; only InstallRequest carries it.
func TestTokenNeverPrints(t *testing.T) {
	tok := otherToken(t)
	secret := hex.EncodeToString(tok.key[:])
	said := fmt.Sprintf("%v %s %+v %#v %x %q", tok, tok, tok, tok, tok, tok) + fmt.Sprint(struct{ T Token }{tok}) + fmt.Sprintf("%+v", &tok)
	if strings.Contains(said, secret) || strings.Contains(said, secret[:16]) {
		t.Errorf("the token printed: %s", said)
	}
	if !strings.Contains(said, tok.ID()) {
		t.Errorf("the token's ID is not what prints: %s", said)
	}
	if b, err := json.Marshal(struct{ T Token }{tok}); err == nil {
		t.Errorf("a token marshalled: %s", b)
	}
	if !strings.Contains(string(InstallRequest(tok, time.Minute)), secret) {
		t.Error("InstallRequest does not carry the token")
	}
}

func TestInstallAndLoadToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	first, second := otherToken(t), otherToken(t)
	if err := InstallToken(dir, first, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := InstallToken(dir, second, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("token directory mode %v %v, want 0700", st.Mode().Perm(), err)
	}
	fst, err := os.Stat(filepath.Join(dir, first.ID()))
	if err != nil || fst.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v %v, want 0600", fst.Mode().Perm(), err)
	}
	if got, err := LoadToken(dir, first.ID()); err != nil || got != first {
		t.Errorf("LoadToken by ID: %v %v", got, err)
	}
	if got, err := LoadToken(dir, ""); err != nil || got != second {
		t.Errorf("LoadToken of the last: %v %v, want %v", got, err, second)
	}
	if got, err := LoadToken(t.TempDir(), ""); err != nil || !got.IsZero() {
		t.Errorf("no token installed: %v %v, want none and no error", got, err)
	}
	if _, err := LoadToken(dir, "../../etc/passwd"); err == nil {
		t.Error("a token ID that is a path was loaded")
	}
	// An expired token is removed by the next install.
	expiring := otherToken(t)
	if err := InstallToken(dir, expiring, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := LoadToken(dir, expiring.ID()); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired token: %v", err)
	}
	if err := InstallToken(dir, first, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, expiring.ID())); !os.IsNotExist(err) {
		t.Errorf("the expired token is still there: %v", err)
	}
	// What `probe auth` reads on stdin round-trips.
	got, ttl, err := readInstallRequest(strings.NewReader(string(InstallRequest(first, 90*time.Second))))
	if err != nil || got != first || ttl != 90*time.Second {
		t.Errorf("install request: %v %v %v", got, ttl, err)
	}
}

// A watch installs a token every round, each valid for an hour: 240 an hour
// at 15 s. The probe keeps those installed last, so every round's token is
// accepted, and the directory stays at MaxTokens. (The probe once read the
// first 64 files in name order: past the 64th round, a round whose token ID
// sorted after them got no answer at all, docs/figures.md#watch.)
func TestEveryRoundsTokenIsAccepted(t *testing.T) {
	a := startServe(t)
	var first Token
	for round := 1; round <= 240; round++ {
		tok := otherToken(t)
		if round == 1 {
			first = tok
		}
		if err := InstallToken(a.Dir, tok, time.Hour); err != nil {
			t.Fatal(err)
		}
		tgts := []Target{
			{ID: "t", Kind: KindTCP, Address: "127.0.0.1", Port: port(a.TCP), Probe: true, Auth: true},
			{ID: "u", Kind: KindUDP, Address: "127.0.0.1", Port: port(a.UDP), Probe: true, Auth: true},
		}
		for _, r := range Run(context.Background(), tgts, WithToken(tok), WithTimeout(time.Second)) {
			if !r.Reachable {
				t.Fatalf("round %d, %s with its own fresh token: %+v", round, r.ID, r)
			}
		}
	}
	entries, err := os.ReadDir(a.Dir)
	if err != nil || len(entries) != MaxTokens {
		t.Errorf("%d token files (%v), want the %d installed last", len(entries), err, MaxTokens)
	}
	tgt := Target{ID: "u", Kind: KindUDP, Address: "127.0.0.1", Port: port(a.UDP), Probe: true, Auth: true}
	if r := Run(context.Background(), []Target{tgt}, WithToken(first), WithTimeout(300*time.Millisecond))[0]; r.Reachable {
		t.Errorf("the token of round 1, 239 installs ago, still proves requests: %+v", r)
	}
}

// A token file written before the install time was kept ("KEY EXPIRES")
// still counts, as installed at its modification time.
func TestTokenFileWithoutInstallTime(t *testing.T) {
	dir := t.TempDir()
	old, newer := otherToken(t), otherToken(t)
	line := fmt.Sprintf("%s %d\n", hex.EncodeToString(old.key[:]), time.Now().Add(time.Hour).UnixNano())
	if err := os.WriteFile(filepath.Join(dir, old.ID()), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadToken(dir, ""); err != nil || got != old {
		t.Errorf("LoadToken of a file without install time: %v %v, want %v", got, err, old)
	}
	if err := InstallToken(dir, newer, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadToken(dir, ""); err != nil || got != newer {
		t.Errorf("LoadToken after an install: %v %v, want the one installed last, %v", got, err, newer)
	}
	if got, err := LoadToken(dir, old.ID()); err != nil || got != old {
		t.Errorf("the older token by ID: %v %v", got, err)
	}
}
