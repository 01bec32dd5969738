package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/overlab/overlab/log"
)

// Limits that keep a probe bounded whatever connects to it.
const (
	maxConns    = 256
	idleTimeout = 2 * time.Minute
)

// ServeConfig says where Serve answers. Ports are used as given: 0 picks a
// free port (tests), a negative port turns that listener off.
type ServeConfig struct {
	TCPPort       int
	UDPPort       int
	HTTPPorts     []int
	ListenAddress string // "" is every address
	Hostname      string // "" is os.Hostname()
	Logger        log.Logger
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

	s := &server{banner: Banner + " " + host, logger: logger, conns: map[net.Conn]struct{}{}}
	var addrs Addrs
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	var wg sync.WaitGroup
	if cfg.TCPPort >= 0 {
		ln, err := net.Listen("tcp", hostPort(cfg.ListenAddress, cfg.TCPPort))
		if err != nil {
			closeAll()
			return fmt.Errorf("tcp: %w", err)
		}
		addrs.TCP = ln.Addr()
		closers = append(closers, func() { ln.Close() })
		wg.Go(func() { s.acceptTCP(ln) })
	}
	if cfg.UDPPort >= 0 {
		pc, err := net.ListenPacket("udp", hostPort(cfg.ListenAddress, cfg.UDPPort))
		if err != nil {
			closeAll()
			return fmt.Errorf("udp: %w", err)
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
			return fmt.Errorf("http: %w", err)
		}
		addrs.HTTP = append(addrs.HTTP, ln.Addr())
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idleTimeout}
		closers = append(closers, func() { srv.Close() })
		wg.Go(func() { srv.Serve(ln) })
	}
	logger.V(0).Infof("%s answering on tcp %v, udp %v, http %v", s.banner, addrs.TCP, addrs.UDP, addrs.HTTP)
	if cfg.Ready != nil {
		cfg.Ready(addrs)
	}
	<-ctx.Done()
	closeAll()
	s.closeConns()
	wg.Wait()
	return nil
}

type server struct {
	banner string
	logger log.Logger
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
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

// echo greets with the banner line, then echoes until the peer is idle.
func (s *server) echo(c net.Conn) {
	s.logger.V(1).Infof("tcp from %s", c.RemoteAddr())
	c.SetDeadline(time.Now().Add(idleTimeout))
	if _, err := fmt.Fprintf(c, "%s\n", s.banner); err != nil {
		return
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
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

func (s *server) serveUDP(pc net.PacketConn) {
	buf := make([]byte, 2048)
	reply := []byte(s.banner)
	for {
		_, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.logger.V(1).Infof("udp from %s", from)
		pc.WriteTo(reply, from)
	}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.logger.V(1).Infof("http %s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s\n", s.banner)
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
