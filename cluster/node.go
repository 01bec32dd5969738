package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overlab/overlab/internal/syncbuf"

	"github.com/docker/docker/client"
	"golang.org/x/crypto/ssh"

	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/inventory"
)

// Node is one host reached over one SSH connection, which carries every
// command session and Docker socket channel of the command.
type Node struct {
	Host inventory.Host

	opts    *options
	client  *ssh.Client
	jumps   []*ssh.Client // outermost first; closed after client
	hostKey string        // fingerprint of the host key verified

	dockerMu sync.Mutex
	docker   *client.Client

	sessions       atomic.Int64
	dockerChannels atomic.Int64

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// AuthError: the server refused every key offered.
type AuthError struct {
	User, Addr string
	Keys       []string // fingerprints offered
	Err        error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("SSH authentication as %q at %s failed with keys [%s]: %v",
		e.User, e.Addr, strings.Join(e.Keys, ", "), e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// Dial opens the SSH connection to h, through its jump hosts if any.
func Dial(ctx context.Context, h inventory.Host, opts ...Option) (*Node, error) {
	return dial(ctx, h, newOptions(opts))
}

func dial(ctx context.Context, h inventory.Host, o *options) (*Node, error) {
	keys, closeAgent, err := signers(h.IdentityFile, o)
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	hk, err := newHostKeys(h.KnownHosts, o.trustNewHosts, o.log)
	if err != nil {
		return nil, err
	}
	jumps, err := parseJumps(h.ProxyJump, h.User)
	if err != nil {
		return nil, err
	}
	n := &Node{Host: h, opts: o, done: make(chan struct{})}
	var via *ssh.Client
	for _, j := range jumps {
		c, err := hop(ctx, via, j.user, j.hostport, keys, hk, o, nil)
		if err != nil {
			n.closeJumps()
			return nil, fmt.Errorf("jump host %s: %w", j.hostport, err)
		}
		n.jumps = append(n.jumps, c)
		via = c
	}
	port := h.Port
	if port == 0 {
		port = 22
	}
	n.client, err = hop(ctx, via, h.User, net.JoinHostPort(h.DialHost(), strconv.Itoa(port)), keys, hk, o, &n.hostKey)
	if err != nil {
		n.closeJumps()
		return nil, err
	}
	if o.keepAlive > 0 {
		go n.keepAlive(o.keepAlive)
	}
	o.log.V(1).Infof("%s: connected over SSH to %s@%s:%d", h.Name, h.User, h.DialHost(), port)
	return n, nil
}

type jump struct{ user, hostport string }

// parseJumps reads ProxyJump: [user@]host[:port],... ; user defaults to the
// host's own user, port to 22.
func parseJumps(spec, defaultUser string) ([]jump, error) {
	if spec == "" || strings.EqualFold(spec, "none") {
		return nil, nil
	}
	var out []jump
	for _, p := range strings.Split(spec, ",") {
		p = strings.TrimSpace(strings.TrimPrefix(p, "ssh://"))
		j := jump{user: defaultUser}
		if i := strings.LastIndex(p, "@"); i >= 0 {
			j.user, p = p[:i], p[i+1:]
		}
		host, port := p, "22"
		if h, pt, err := net.SplitHostPort(p); err == nil {
			host, port = h, pt
		} else if strings.HasPrefix(p, "[") && strings.HasSuffix(p, "]") {
			host = p[1 : len(p)-1]
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" || j.user == "" {
			return nil, fmt.Errorf("bad ProxyJump entry %q: want [user@]host[:port]", p)
		}
		j.hostport = net.JoinHostPort(host, port)
		out = append(out, j)
	}
	return out, nil
}

// hop makes one SSH connection, directly or tunnelled through via, within
// the connect timeout; cancelling ctx aborts the handshake. The verified host
// key's fingerprint goes to seen, when given.
func hop(ctx context.Context, via *ssh.Client, user, hostport string, keys []ssh.Signer, hk *hostKeys, o *options, seen *string) (*ssh.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, o.connectTimeout)
	defer cancel()
	timedOut := func(err error) error {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("connecting to %s: timed out after %s: %w", hostport, o.connectTimeout, context.DeadlineExceeded)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("connecting to %s: %w", hostport, ctx.Err())
		}
		return err
	}
	var conn net.Conn
	var err error
	if via == nil {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", hostport)
	} else {
		conn, err = via.DialContext(ctx, "tcp", hostport)
	}
	if err != nil {
		return nil, timedOut(fmt.Errorf("connecting to %s: %w", hostport, err))
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	cfg := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(keys...)},
		HostKeyCallback:   remember(hk.callback(hostport), seen),
		HostKeyAlgorithms: hk.algorithms(hostport),
		Timeout:           o.connectTimeout,
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, hostport, cfg)
	if !stop() {
		if sc != nil {
			sc.Close()
		}
		return nil, timedOut(err)
	}
	if err != nil {
		conn.Close()
		var uk *UnknownHostKeyError
		var ck *ChangedHostKeyError
		if errors.As(err, &uk) || errors.As(err, &ck) {
			return nil, errors.Unwrap(err) // drop the library's "handshake failed" prefix: ours says it all
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			var fps []string
			for _, k := range keys {
				fps = append(fps, k.PublicKey().Type()+" "+ssh.FingerprintSHA256(k.PublicKey()))
			}
			return nil, &AuthError{User: user, Addr: hostport, Keys: fps, Err: err}
		}
		return nil, fmt.Errorf("SSH handshake with %s: %w", hostport, err)
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

// remember records the fingerprint of a host key that cb accepted.
func remember(cb ssh.HostKeyCallback, seen *string) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, remote, key)
		if err == nil && seen != nil {
			*seen = ssh.FingerprintSHA256(key)
		}
		return err
	}
}

// HostKey is the SHA256 fingerprint of the host key this connection
// verified: a re-created host has a new one.
func (n *Node) HostKey() string { return n.hostKey }

// keepAlive pings the server; three unanswered pings close the connection so
// that every waiting session fails instead of hanging.
func (n *Node) keepAlive(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-n.done:
			return
		case <-t.C:
		}
		errc := make(chan error, 1)
		go func() {
			_, _, err := n.client.SendRequest("keepalive@openssh.com", true, nil)
			errc <- err
		}()
		select {
		case <-n.done:
			return
		case err := <-errc:
			if err != nil {
				return // connection already gone
			}
			missed = 0
		case <-time.After(every):
			missed++
			if missed >= 3 {
				n.opts.log.Warnf("%s: no answer to 3 SSH keepalives, closing the connection", n.Name())
				n.client.Close()
				return
			}
		}
	}
}

// Stats counts what went over the node's one SSH connection.
type Stats struct {
	Sessions       int64 // command sessions (one round trip each, plus the command's own time)
	DockerChannels int64 // Docker socket channels; HTTP keep-alive reuses them across API calls
}

// Stats reports the connection's use so far.
func (n *Node) Stats() Stats {
	return Stats{Sessions: n.sessions.Load(), DockerChannels: n.dockerChannels.Load()}
}

// Name is the inventory name of the host.
func (n *Node) Name() string { return n.Host.Name }

// Run runs command in the remote user's shell and returns its stdout. On
// failure it returns an *execx.CommandError holding stdout and stderr together.
func (n *Node) Run(ctx context.Context, command string) ([]byte, error) {
	return n.RunInput(ctx, command, nil)
}

// RunInput is Run with stdin.
func (n *Node) RunInput(ctx context.Context, command string, stdin io.Reader) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.opts.opTimeout)
	defer cancel()
	var stdout, combined syncbuf.Buffer
	var (
		mu        sync.Mutex
		sess      *ssh.Session
		cancelled bool
	)
	res := make(chan error, 1)
	go func() {
		n.sessions.Add(1)
		s, err := n.client.NewSession()
		if err != nil {
			res <- fmt.Errorf("opening SSH session: %w", err)
			return
		}
		mu.Lock()
		if cancelled {
			mu.Unlock()
			s.Close()
			return
		}
		sess = s
		mu.Unlock()
		s.Stdin = stdin
		s.Stdout = io.MultiWriter(&stdout, &combined)
		s.Stderr = &combined
		err = s.Run(command)
		s.Close()
		res <- err
	}()
	var err error
	select {
	case err = <-res:
	case <-ctx.Done():
		// Sessions take no context: closing the channel is what stops the
		// remote command (sshd hangs it up) and our goroutine.
		mu.Lock()
		cancelled = true
		if sess != nil {
			sess.Close()
		}
		mu.Unlock()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out: %w", ctx.Err())
		} else {
			err = ctx.Err()
		}
	}
	if err == nil {
		return stdout.Bytes(), nil
	}
	return stdout.Bytes(), &execx.CommandError{Host: n.Name(), Command: command, ExitCode: execx.ExitCode(err), Output: combined.Bytes(), Err: err}
}

// Close ends the Docker client, the SSH connection and its jump hosts.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		close(n.done)
		n.dockerMu.Lock()
		if n.docker != nil {
			n.docker.Close()
		}
		n.dockerMu.Unlock()
		if err := n.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			n.closeErr = err
		}
		n.closeJumps()
	})
	return n.closeErr
}

func (n *Node) closeJumps() {
	for i := len(n.jumps) - 1; i >= 0; i-- {
		n.jumps[i].Close()
	}
}
