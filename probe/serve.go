package probe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/overlab/overlab/log"
)

// Limits that keep a probe bounded whatever connects to it.
const (
	maxConns    = 256
	idleTimeout = 2 * time.Minute
	// DefaultAnswerRate and DefaultAnswerBurst bound the answers a probe
	// gives per second, proven or not: a check of 100 hosts asks each
	// probe about 400 things at once (99 peers, 4 kinds), well inside the
	// burst; a flood gets the rate and the probe's CPU stays small.
	DefaultAnswerRate  = 500
	DefaultAnswerBurst = 1000
)

// ServeConfig says where Serve answers. Ports are used as given: 0 picks a
// free port (tests), a negative port turns that listener off.
type ServeConfig struct {
	TCPPort       int
	UDPPort       int
	HTTPPorts     []int
	ListenAddress string // "" is every address
	Hostname      string // "" is os.Hostname()
	// TokenDir holds the tokens whose proofs the server accepts ("" is
	// DefaultTokenDir). Without a valid proof it answers nothing.
	TokenDir string
	// Open also answers requests without a proof, as a probe a person
	// starts by hand must (lab show --commands): the plain banner, and on
	// UDP never more bytes than the request had.
	Open bool
	// AnswerRate and AnswerBurst limit the answers per second (0: the
	// defaults); past them a request gets no answer (HTTP: 429).
	AnswerRate  float64
	AnswerBurst int
	Logger      log.Logger
	// Ready, if set, is called once every listener is bound.
	Ready func(Addrs)
	// NoSignals leaves SIGTERM/SIGINT alone (the caller handles them).
	NoSignals bool
}

// Addrs are the addresses Serve bound.
type Addrs struct {
	TCP  net.Addr
	UDP  net.Addr
	HTTP []net.Addr
}

// Serve answers until ctx ends or the process gets SIGTERM or SIGINT, then
// closes everything at once and returns nil. In a container it is PID 1, on
// which the kernel ignores signals that have no handler: without the
// handler `docker stop` would wait its whole timeout and then kill.
func Serve(ctx context.Context, cfg ServeConfig) error {
	logger := cfg.Logger
	if logger == nil {
		logger = log.NoOp{}
	}
	host := cfg.Hostname
	if host == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("hostname: %w", err)
		}
		host = h
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !cfg.NoSignals {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(sigs)
		go func() {
			select {
			case s := <-sigs:
				logger.V(0).Infof("%s: stopping", s)
				cancel()
			case <-ctx.Done():
			}
		}()
	}

	s := newServer(cfg, host, logger)
	var wg sync.WaitGroup
	addrs, closeAll, err := s.listen(cfg, &wg)
	if err != nil {
		return err
	}
	who := "the requests proven with a token of " + s.keys.dir
	if cfg.Open {
		who = "anyone (--open)"
	}
	logger.V(0).Infof("%s answering %s on tcp %v, udp %v, http %v", s.banner, who, addrs.TCP, addrs.UDP, addrs.HTTP)
	if cfg.Ready != nil {
		cfg.Ready(addrs)
	}
	<-ctx.Done()
	closeAll()
	s.closeConns()
	wg.Wait()
	return nil
}

// newServer is the server of cfg on host.
func newServer(cfg ServeConfig, host string, logger log.Logger) *server {
	dir := cfg.TokenDir
	if dir == "" {
		dir = DefaultTokenDir
	}
	r, b := cfg.AnswerRate, cfg.AnswerBurst
	if r <= 0 {
		r = DefaultAnswerRate
	}
	if b <= 0 {
		b = DefaultAnswerBurst
	}
	return &server{host: host, banner: Banner + " " + host, logger: logger, conns: map[net.Conn]struct{}{},
		keys: newKeyring(dir), open: cfg.Open, answers: rate.NewLimiter(rate.Limit(r), b)}
}

// listen binds every listener cfg asks for and serves each in wg; closeAll
// closes them. On an error nothing stays bound.
func (s *server) listen(cfg ServeConfig, wg *sync.WaitGroup) (Addrs, func(), error) {
	var addrs Addrs
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	if cfg.TCPPort >= 0 {
		ln, err := net.Listen("tcp", hostPort(cfg.ListenAddress, cfg.TCPPort))
		if err != nil {
			closeAll()
			return addrs, nil, fmt.Errorf("tcp: %w", err)
		}
		addrs.TCP = ln.Addr()
		closers = append(closers, func() { ln.Close() })
		wg.Go(func() { s.acceptTCP(ln) })
	}
	if cfg.UDPPort >= 0 {
		pc, err := net.ListenPacket("udp", hostPort(cfg.ListenAddress, cfg.UDPPort))
		if err != nil {
			closeAll()
			return addrs, nil, fmt.Errorf("udp: %w", err)
		}
		addrs.UDP = pc.LocalAddr()
		closers = append(closers, func() { pc.Close() })
		wg.Go(func() { s.serveUDP(pc) })
	}
	for _, port := range cfg.HTTPPorts {
		if port < 0 {
			continue
		}
		ln, err := net.Listen("tcp", hostPort(cfg.ListenAddress, port))
		if err != nil {
			closeAll()
			return addrs, nil, fmt.Errorf("http: %w", err)
		}
		addrs.HTTP = append(addrs.HTTP, ln.Addr())
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idleTimeout}
		closers = append(closers, func() { srv.Close() })
		wg.Go(func() { srv.Serve(ln) })
	}
	return addrs, closeAll, nil
}

type server struct {
	host    string
	banner  string
	keys    *keyring
	open    bool
	answers *rate.Limiter
	logger  log.Logger
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closed  bool
}

// answer reports whether the rate limit lets the server answer now.
func (s *server) answer(kind, from string) bool {
	if s.answers.Allow() {
		return true
	}
	s.logger.V(1).Infof("%s from %s: over %g answers/s, no answer", kind, from, float64(s.answers.Limit()))
	return false
}

func (s *server) acceptTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like: do not spin
			continue
		}
		if !s.track(c) {
			c.Close()
			continue
		}
		go func() {
			defer s.untrack(c)
			s.echo(c)
		}()
	}
}

// echo waits for the client's proof, greets with the banner line and its
// own proof, then echoes until the peer is idle. Without a proof it closes
// the connection having sent nothing (with --open: it greets with the plain
// banner and echoes what came).
func (s *server) echo(c net.Conn) {
	s.logger.V(1).Infof("tcp from %s", c.RemoteAddr())
	wait := authWait
	if s.open {
		wait = openWait
	}
	c.SetDeadline(time.Now().Add(wait))
	r := bufio.NewReaderSize(c, 2*maxAuthLine)
	line, err := r.ReadSlice('\n')
	first := append([]byte(nil), line...)
	greeting := s.greeting("tcp", string(line))
	if greeting == "" {
		var ne net.Error
		if !s.open || err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			return
		}
		greeting = s.banner
	} else {
		first = nil // the proof is not echoed
	}
	if !s.answer("tcp", c.RemoteAddr().String()) {
		return
	}
	c.SetDeadline(time.Now().Add(idleTimeout))
	if _, err := fmt.Fprintf(c, "%s\n%s", greeting, first); err != nil {
		return
	}
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
			c.SetDeadline(time.Now().Add(idleTimeout))
		}
		if err != nil {
			return
		}
	}
}

// greeting is the banner with the server's proof when line proves a request
// of kind (or of the kinds given), else "".
func (s *server) greeting(kind, line string, more ...string) string {
	tok, k, nonce, ok := s.keys.verify(strings.TrimSpace(line), append([]string{kind}, more...)...)
	if !ok {
		return ""
	}
	return s.banner + " " + tok.replyProof(k, nonce, s.host)
}

// serveUDP answers a datagram that starts with a proof (kind udp, or mtu
// for the path MTU search) with the banner and its own proof. It never sends
// more bytes than the datagram had: a forged source address gets no
// amplification, and without a proof (and --open) no answer at all.
func (s *server) serveUDP(pc net.PacketConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		line, _, _ := bytes.Cut(buf[:min(n, maxAuthLine)], []byte("\n"))
		reply := s.greeting("udp", string(line), "mtu")
		if reply == "" && s.open {
			reply = s.banner
		}
		if reply == "" {
			s.logger.V(2).Infof("udp from %s: no proof, no answer", from)
			continue
		}
		if !s.answer("udp", from.String()) {
			continue
		}
		s.logger.V(1).Infof("udp from %s", from)
		pc.WriteTo([]byte(reply)[:min(len(reply), n)], from)
	}
}

// authHeader carries an HTTP request's proof: "OLP1 http NONCE PROOF".
const authHeader = "X-Overlab-Probe"

// ServeHTTP answers a request with a proof with the banner and its own
// proof; anything else gets 403 and an empty body (with --open, the plain
// banner).
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.logger.V(1).Infof("http %s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
	body := s.greeting("http", r.Header.Get(authHeader))
	if body == "" && s.open {
		body = s.banner
	}
	if body == "" {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if !s.answer("http", r.RemoteAddr) {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s\n", body)
}

func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= maxConns {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

func (s *server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
