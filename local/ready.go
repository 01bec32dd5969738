//go:build linux

package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshProbe reaches one host the way any client of the lab will: SSH with the
// lab key and strict host key checking against the lab's known_hosts, then
// Docker's socket through that connection.
type sshProbe struct {
	cfg *ssh.ClientConfig
}

func (l Lab) newSSHProbe() (*sshProbe, error) {
	signer, err := readSigner(l.KeyPath())
	if err != nil {
		return nil, err
	}
	hk, err := knownhosts.New(l.KnownHostsPath())
	if err != nil {
		return nil, err
	}
	return &sshProbe{cfg: &ssh.ClientConfig{
		User:            "root",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hk,
		Timeout:         2 * time.Second,
	}}, nil
}

func (p *sshProbe) dial(ctx context.Context, addr string) (*ssh.Client, error) {
	d := net.Dialer{Timeout: p.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, "22"))
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr+":22", p.cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// dockerGet performs GET path on the host's Docker socket through c.
func dockerGet(ctx context.Context, c *ssh.Client, path string) ([]byte, error) {
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return c.DialContext(ctx, "unix", "/var/run/docker.sock")
		},
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("docker %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// readiness is what is known of one host while waiting.
type readiness struct {
	SSH, Engine bool
	Version     string // the engine's, when check asked it
	Err         error
}

// check connects once and asks the engine its version.
func (p *sshProbe) check(ctx context.Context, addr string) readiness {
	c, err := p.dial(ctx, addr)
	if err != nil {
		return readiness{Err: fmt.Errorf("sshd: %w", err)}
	}
	defer c.Close()
	body, err := dockerGet(ctx, c, "/version")
	if err != nil {
		return readiness{SSH: true, Err: fmt.Errorf("engine: %w", err)}
	}
	var v struct{ Version string }
	if err := json.Unmarshal(body, &v); err != nil {
		return readiness{SSH: true, Err: fmt.Errorf("engine: /version: %w", err)}
	}
	return readiness{SSH: true, Engine: true, Version: v.Version}
}

// waitReady polls until sshd accepts the key and the engine answers through
// it, the holder dies, or ctx ends. It keeps one SSH connection once sshd is
// up so that the engine wait costs no new handshakes.
func (p *sshProbe) waitReady(ctx context.Context, addr string, holderAlive func() bool) readiness {
	var c *ssh.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	var last readiness
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if c == nil {
			dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			cl, err := p.dial(dctx, addr)
			cancel()
			if err == nil {
				c = cl
			} else {
				last = readiness{Err: fmt.Errorf("sshd: %w", err)}
				var keyErr *knownhosts.KeyError
				if errors.As(err, &keyErr) {
					return last // a wrong host key does not fix itself
				}
			}
		}
		if c != nil {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := dockerGet(pctx, c, "/_ping")
			cancel()
			if err == nil {
				return readiness{SSH: true, Engine: true}
			}
			last = readiness{SSH: true, Err: fmt.Errorf("engine: %w", err)}
		}
		if !holderAlive() {
			last.Err = fmt.Errorf("host processes exited: %w", last.Err)
			return last
		}
		select {
		case <-ctx.Done():
			if last.Err == nil {
				last.Err = ctx.Err()
			}
			return last
		case <-tick.C:
		}
	}
}
