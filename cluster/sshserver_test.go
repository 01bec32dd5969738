package cluster

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testServer is an in-process SSH server on 127.0.0.1 that runs a few fake
// commands, forwards direct-tcpip (for jump hosts) and direct-streamlocal
// (for the Docker socket) channels, and answers keepalives.
type testServer struct {
	t        *testing.T
	ln       net.Listener
	hostKey  ssh.Signer
	authKeys []ssh.PublicKey
	// extraHostKeys are offered too (set before the first connection).
	extraHostKeys []ssh.Signer

	// streamLocal maps a socket path to a local unix socket to connect to;
	// a path not listed is refused as connect-failed, or prohibited when
	// forbidStreamLocal is set.
	streamLocal       map[string]string
	forbidStreamLocal bool

	mu       sync.Mutex
	closedCh chan string // commands whose session was closed by the client before they ended
	sessions int
}

func newTestServer(t *testing.T, authorized ...ssh.PublicKey) *testServer {
	t.Helper()
	return newTestServerCfg(t, nil, authorized...)
}

// newTestServerCfg lets configure set fields before the server accepts anything.
func newTestServerCfg(t *testing.T, configure func(*testServer), authorized ...ssh.PublicKey) *testServer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, ln: ln, hostKey: hk, authKeys: authorized, streamLocal: map[string]string{}, closedCh: make(chan string, 8)}
	t.Cleanup(func() { ln.Close() })
	if configure != nil {
		configure(s)
	}
	go s.serve()
	return s
}

func (s *testServer) addr() string { return s.ln.Addr().String() }

func (s *testServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *testServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *testServer) handle(c net.Conn) {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range s.authKeys {
				if string(k.Marshal()) == string(key.Marshal()) {
					return &ssh.Permissions{}, nil
				}
			}
			return nil, fmt.Errorf("unknown key")
		},
	}
	cfg.AddHostKey(s.hostKey)
	for _, k := range s.extraHostKeys {
		cfg.AddHostKey(k)
	}
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		c.Close()
		return
	}
	defer sc.Close()
	go func() {
		for r := range reqs {
			r.Reply(r.Type == "keepalive@openssh.com", nil)
		}
	}()
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			go s.session(nc)
		case "direct-tcpip":
			var p struct {
				Host     string
				Port     uint32
				OrigHost string
				OrigPort uint32
			}
			if err := ssh.Unmarshal(nc.ExtraData(), &p); err != nil || p.Host != "127.0.0.1" {
				nc.Reject(ssh.Prohibited, "loopback only")
				continue
			}
			target, err := net.Dial("tcp", net.JoinHostPort(p.Host, fmt.Sprint(p.Port)))
			if err != nil {
				nc.Reject(ssh.ConnectionFailed, err.Error())
				continue
			}
			go s.pipe(nc, target)
		case "direct-streamlocal@openssh.com":
			var p struct {
				Path      string
				Reserved  string
				Reserved2 uint32
			}
			if err := ssh.Unmarshal(nc.ExtraData(), &p); err != nil {
				nc.Reject(ssh.ConnectionFailed, "bad request")
				continue
			}
			if s.forbidStreamLocal {
				nc.Reject(ssh.Prohibited, "administratively prohibited")
				continue
			}
			local, ok := s.streamLocal[p.Path]
			if !ok {
				nc.Reject(ssh.ConnectionFailed, "open failed")
				continue
			}
			target, err := net.Dial("unix", local)
			if err != nil {
				nc.Reject(ssh.ConnectionFailed, "open failed")
				continue
			}
			go s.pipe(nc, target)
		default:
			nc.Reject(ssh.UnknownChannelType, "no")
		}
	}
}

func (s *testServer) pipe(nc ssh.NewChannel, target net.Conn) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		target.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	go func() { io.Copy(target, ch); target.Close() }()
	io.Copy(ch, target)
	ch.Close()
}

// session runs the fake commands: "echo X", "fail N MSG" (MSG on stderr,
// exit N), "cat" (stdin to stdout), "sleep" (until the client closes), and
// "id -un; ..." (the Docker socket diagnosis, as a non-docker user).
func (s *testServer) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	for r := range reqs {
		if r.Type != "exec" {
			r.Reply(false, nil)
			continue
		}
		var p struct{ Command string }
		ssh.Unmarshal(r.Payload, &p)
		r.Reply(true, nil)
		if p.Command == "sleep" {
			// Runs until the client closes the channel, which ends reqs.
			for range reqs {
			}
			s.closedCh <- p.Command
			return
		}
		code := s.exec(p.Command, ch)
		status := make([]byte, 4)
		binary.BigEndian.PutUint32(status, uint32(code))
		ch.CloseWrite()
		ch.SendRequest("exit-status", false, status)
		return
	}
}

func (s *testServer) exec(cmd string, ch ssh.Channel) int {
	f := strings.Fields(cmd)
	switch {
	case len(f) > 0 && f[0] == "echo":
		fmt.Fprintln(ch, strings.Join(f[1:], " "))
		return 0
	case len(f) > 2 && f[0] == "fail":
		var code int
		fmt.Sscan(f[1], &code)
		fmt.Fprintln(ch, "partial stdout")
		fmt.Fprintln(ch.Stderr(), strings.Join(f[2:], " "))
		return code
	case cmd == "cat":
		io.Copy(ch, ch)
		return 0
	case strings.HasPrefix(cmd, "id -un;"):
		fmt.Fprint(ch, "alice\nalice users\nsocket\nsrw-rw---- 1 root docker 0 Jan 1 00:00 /var/run/docker.sock\n")
		return 0
	}
	fmt.Fprintf(ch.Stderr(), "sh: %s: not found\n", cmd)
	return 127
}

func (s *testServer) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// silentListener accepts TCP connections and never speaks: an SSH
// handshake against it can only time out.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

func itoa(i int) string { return fmt.Sprint(i) }

func atoi(s string) int {
	var i int
	fmt.Sscan(s, &i)
	return i
}
