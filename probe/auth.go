package probe

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Probes answer only the requests of a run of overlab (docs/probe.md,
// "Authenticated probes"). Each check makes a Token, installs it in every
// probe it uses (InstallToken, through `probe auth` with the token on
// stdin, into a directory on a tmpfs), and its probes prove every request
// with an HMAC over a fresh nonce. A server answers TCP, UDP and HTTP only
// to a proof made with one of its unexpired tokens, and proves its answer
// in turn, so the client knows that a probe of this run answered. Nothing
// else on the network can use a probe as an oracle or a reflector.

// DefaultTokenDir is where a probe container keeps the tokens of the runs
// that may ask it: under /run/overlab, a tmpfs that overlab mounts there.
const DefaultTokenDir = "/run/overlab/tokens"

// authVersion starts every proof on the wire.
const authVersion = "OLP1"

// Limits of the authentication.
const (
	// MaxTokenTTL bounds how long an installed token is valid.
	MaxTokenTTL = 24 * time.Hour
	// authWait bounds how long a TCP server waits for a client's proof.
	authWait = 5 * time.Second
	// openWait is how long a server started with --open waits for a
	// proof before it greets a person's nc without one.
	openWait = 200 * time.Millisecond
	// maxAuthLine bounds a proof line (it is about 110 bytes).
	maxAuthLine = 256
	// nonceMemory is how many recent nonces a server refuses to see again.
	nonceMemory = 4096
	// MaxTokens bounds the tokens a probe keeps and accepts: those
	// installed last. A server checks a proof against each of them, so it
	// bounds what a request costs. Every check installs one valid for an
	// hour, and a watch is a check a round (240 an hour at 15 s): the
	// oldest go, never the newest (docs/figures.md#watch, the 1-hour watch).
	MaxTokens = 64
)

// Token is the secret of one run: 32 random bytes. It never prints: its
// String is its public ID, and it refuses to be marshalled as JSON.
type Token struct {
	key [32]byte
}

// NewToken makes a token from the system's random source.
func NewToken() (Token, error) {
	var t Token
	if _, err := rand.Read(t.key[:]); err != nil {
		return Token{}, fmt.Errorf("probe token: %w", err)
	}
	return t, nil
}

// ID names the token without revealing it: a hash of it, safe to print and
// to pass on a command line.
func (t Token) ID() string {
	sum := sha256.Sum256(append([]byte("overlab probe token id\x00"), t.key[:]...))
	return hex.EncodeToString(sum[:8])
}

// IsZero says whether t is no token at all.
func (t Token) IsZero() bool { return t == Token{} }

func (t Token) String() string   { return "probe token " + t.ID() }
func (t Token) GoString() string { return t.String() }

// MarshalJSON refuses: a token goes nowhere but to InstallRequest.
func (t Token) MarshalJSON() ([]byte, error) {
	return nil, errors.New("a probe token is never marshalled")
}

func (t Token) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, t.key[:])
	io.WriteString(m, authVersion)
	for _, p := range parts {
		io.WriteString(m, "\x00"+p)
	}
	return m.Sum(nil)
}

// proof is a client's proof of a request of kind (tcp, udp, http, mtu)
// with nonce.
func (t Token) proof(kind, nonce string) string {
	return hex.EncodeToString(t.mac("request", kind, nonce))
}

// replyProof is a server's proof of its answer to that request, naming the
// host that answers (half an HMAC: 128 bits keeps UDP replies small).
func (t Token) replyProof(kind, nonce, host string) string {
	return hex.EncodeToString(t.mac("reply", kind, nonce, host)[:16])
}

// authLine is the proof a client sends first: "OLP1 KIND NONCE PROOF".
func (t Token) authLine(kind string) (line, nonce string) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce = hex.EncodeToString(b[:])
	return authVersion + " " + kind + " " + nonce + " " + t.proof(kind, nonce), nonce
}

// verifyReply checks the proof at the end of a banner line: "overlab-probe
// HOST PROOF" for the request with nonce.
func (t Token) verifyReply(kind, nonce, line string) (host string, ok bool) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != Banner {
		return peerOf(line), false
	}
	want := t.replyProof(kind, nonce, f[1])
	return f[1], hmac.Equal([]byte(want), []byte(f[2]))
}

// parseAuthLine splits "OLP1 KIND NONCE PROOF"; ok is false for anything else.
func parseAuthLine(line string) (kind, nonce, proof string, ok bool) {
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != authVersion || len(f[2]) != 32 || len(f[3]) != 64 {
		return "", "", "", false
	}
	return f[1], f[2], f[3], true
}

// installRequest is what `probe auth` reads on stdin.
type installRequest struct {
	Token string `json:"token"`
	TTLMS int64  `json:"ttl_ms"`
}

// InstallRequest is the stdin of `probe auth` that installs t for ttl. The
// token travels only there: never on a command line, in the environment or
// a label, so that neither ps nor docker inspect shows it.
func InstallRequest(t Token, ttl time.Duration) []byte {
	b, _ := json.Marshal(installRequest{Token: hex.EncodeToString(t.key[:]), TTLMS: ttl.Milliseconds()})
	return b
}

// readInstallRequest decodes what InstallRequest made.
func readInstallRequest(r io.Reader) (Token, time.Duration, error) {
	var req installRequest
	dec := json.NewDecoder(io.LimitReader(r, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Token{}, 0, fmt.Errorf("read the token: %w", err)
	}
	t, err := parseKey(req.Token)
	if err != nil {
		return Token{}, 0, err
	}
	ttl := time.Duration(req.TTLMS) * time.Millisecond
	if ttl <= 0 || ttl > MaxTokenTTL {
		return Token{}, 0, fmt.Errorf("ttl_ms %d: want a lifetime up to %v", req.TTLMS, MaxTokenTTL)
	}
	return t, ttl, nil
}

func parseKey(s string) (Token, error) {
	var t Token
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != len(t.key) {
		return Token{}, errors.New("a token is 64 hex digits")
	}
	copy(t.key[:], b)
	return t, nil
}

// InstallToken stores t in dir until ttl from now, having dropped the
// tokens there that have expired and all but the MaxTokens-1 installed last
// first: the directory is a tmpfs of 1 MiB, a page a file, so it never
// fills (it did, at 256 tokens, before they were bounded). The file is
// written under a temporary name and renamed, so a server never reads half
// of it; dir and file are private.
func InstallToken(dir string, t Token, ttl time.Duration) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("token directory: %w", err)
	}
	now := time.Now()
	kept := 0
	for _, s := range readTokens(dir) {
		switch {
		case s.tok == t: // installed again: replaced below
		case s.valid(now) && kept < MaxTokens-1:
			kept++
		default:
			os.Remove(filepath.Join(dir, s.tok.ID()))
		}
	}
	body := fmt.Sprintf("%s %d %d\n", hex.EncodeToString(t.key[:]), now.Add(ttl).UnixNano(), now.UnixNano())
	f, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return fmt.Errorf("token directory: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, t.ID()))
	}
	if err != nil {
		return fmt.Errorf("installing %v: %w", t, err)
	}
	return nil
}

// stored is an installed token, when it was installed and its end.
type stored struct {
	tok       Token
	installed time.Time
	expires   time.Time
}

func (s stored) valid(now time.Time) bool { return now.Before(s.expires) }

// readTokens reads every token file of dir (a missing dir has none), the
// one installed last first. There are no more than MaxTokens and a few
// expired ones: every install removes the others.
func readTokens(dir string) []stored {
	entries, _ := os.ReadDir(dir)
	var out []stored
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if s, err := readToken(filepath.Join(dir, e.Name())); err == nil {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].installed.After(out[j].installed) })
	return out
}

// currentTokens is what a server accepts: the unexpired tokens of dir, at
// most the MaxTokens installed last.
func currentTokens(dir string, now time.Time) []stored {
	out := []stored{}
	for _, s := range readTokens(dir) {
		if s.valid(now) && len(out) < MaxTokens {
			out = append(out, s)
		}
	}
	return out
}

// readToken reads "KEY EXPIRES INSTALLED" (Unix nanoseconds); a file
// without INSTALLED (written before it was kept) counts as installed at its
// modification time.
func readToken(path string) (stored, error) {
	f, err := os.Open(path)
	if err != nil {
		return stored{}, err
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 256)).ReadString('\n')
	if err != nil {
		return stored{}, fmt.Errorf("%s: %w", path, err)
	}
	fields := strings.Fields(line)
	if len(fields) != 2 && len(fields) != 3 {
		return stored{}, fmt.Errorf("%s: not a token file", path)
	}
	t, err := parseKey(fields[0])
	if err != nil {
		return stored{}, fmt.Errorf("%s: not a token file", path)
	}
	var ns [2]int64
	for i, v := range fields[1:] {
		if ns[i], err = strconv.ParseInt(v, 10, 64); err != nil {
			return stored{}, fmt.Errorf("%s: not a token file", path)
		}
	}
	s := stored{tok: t, expires: time.Unix(0, ns[0]), installed: time.Unix(0, ns[1])}
	if len(fields) == 2 {
		st, err := f.Stat()
		if err != nil {
			return stored{}, err
		}
		s.installed = st.ModTime()
	}
	return s, nil
}

// LoadToken finds the token a client uses in dir: the one with that ID, or
// with id empty the one installed last that has not expired. No token is not
// an error when id is empty (the zero Token: requests go unproven).
func LoadToken(dir, id string) (Token, error) {
	now := time.Now()
	if id != "" {
		s, err := readToken(filepath.Join(dir, filepath.Base(id)))
		switch {
		case err != nil:
			return Token{}, fmt.Errorf("no probe token %s in %s: overlab installs one per check (`probe auth`)", id, dir)
		case !s.valid(now):
			return Token{}, fmt.Errorf("probe token %s expired at %s", id, s.expires.UTC().Format(time.RFC3339))
		}
		return s.tok, nil
	}
	if cur := currentTokens(dir, now); len(cur) > 0 {
		return cur[0].tok, nil // the one installed last
	}
	return Token{}, nil
}

// keyring is what a server accepts: the unexpired tokens of its directory,
// read again whenever the directory changes, and the nonces it has seen.
type keyring struct {
	dir string

	mu     sync.Mutex
	mod    time.Time
	tokens []stored
	seen   map[string]struct{}
	ring   []string
	next   int
}

func newKeyring(dir string) *keyring {
	return &keyring{dir: dir, seen: map[string]struct{}{}, ring: make([]string, nonceMemory)}
}

// verify returns the token that proves line for one of kinds, refusing a
// nonce seen before (a replayed request).
func (k *keyring) verify(line string, kinds ...string) (tok Token, kind, nonce string, ok bool) {
	kind, nonce, proof, ok := parseAuthLine(line)
	if !ok || !contains(kinds, kind) {
		return Token{}, "", "", false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reload()
	now := time.Now()
	for _, s := range k.tokens {
		if !s.valid(now) || !hmac.Equal([]byte(s.tok.proof(kind, nonce)), []byte(proof)) {
			continue
		}
		if _, dup := k.seen[nonce]; dup {
			return Token{}, "", "", false
		}
		if old := k.ring[k.next]; old != "" {
			delete(k.seen, old)
		}
		k.ring[k.next], k.seen[nonce] = nonce, struct{}{}
		k.next = (k.next + 1) % len(k.ring)
		return s.tok, kind, nonce, true
	}
	return Token{}, "", "", false
}

// reload reads the directory again when its modification time changed
// (installing a token renames a file into it).
func (k *keyring) reload() {
	st, err := os.Stat(k.dir)
	if err != nil {
		k.tokens, k.mod = nil, time.Time{}
		return
	}
	if st.ModTime().Equal(k.mod) && k.tokens != nil {
		return
	}
	k.mod, k.tokens = st.ModTime(), currentTokens(k.dir, time.Now())
}

func contains(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}
