package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/docker/docker/client"
	"golang.org/x/crypto/ssh"

	"github.com/overlab/overlab/shellquote"
)

// DockerSocketError says why the Docker socket could not be opened through
// SSH, in the operator's terms.
type DockerSocketError struct {
	Host, User, Socket string
	Reason             string // what to do about it
	Err                error
}

func (e *DockerSocketError) Error() string {
	return fmt.Sprintf("%s: cannot open the Docker socket %s through SSH as %q: %s (%v)", e.Host, e.Socket, e.User, e.Reason, e.Err)
}

func (e *DockerSocketError) Unwrap() error { return e.Err }

// Docker is a Docker Engine client whose every HTTP connection is a
// direct-streamlocal channel over this node's SSH connection to
// Host.DockerSocket. The API version is negotiated on the first request.
func (n *Node) Docker() *client.Client {
	n.dockerMu.Lock()
	defer n.dockerMu.Unlock()
	if n.docker == nil {
		// The host part of the URL is never dialled: dialDocker ignores it.
		c, err := client.NewClientWithOpts(
			client.WithHost("http://docker.invalid"),
			client.WithDialContext(func(ctx context.Context, _, _ string) (net.Conn, error) { return n.dialDocker(ctx) }),
			client.WithAPIVersionNegotiation(),
			// Every request, not only the dial, is bounded by --timeout: a
			// stuck engine must not hang overlab.
			client.WithTimeout(n.opts.opTimeout),
		)
		if err != nil {
			// Only reachable with malformed options above: a programming error.
			panic(fmt.Sprintf("cluster: docker client: %v", err))
		}
		n.docker = c
	}
	return n.docker
}

func (n *Node) socket() string {
	if n.Host.DockerSocket != "" {
		return n.Host.DockerSocket
	}
	return "/var/run/docker.sock"
}

func (n *Node) dialDocker(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, n.opts.opTimeout)
	defer cancel()
	n.dockerChannels.Add(1)
	conn, err := n.client.DialContext(ctx, "unix", n.socket())
	if err == nil {
		return conn, nil
	}
	return nil, n.explainSocketError(ctx, err)
}

// explainSocketError turns a refused channel into advice. sshd answers
// "administratively prohibited" when stream-local forwarding is off, and a
// bare "connect failed" when connect(2) on the socket failed: then one
// command finds out whether the socket is missing or not ours to use.
func (n *Node) explainSocketError(ctx context.Context, err error) error {
	e := &DockerSocketError{Host: n.Name(), User: n.Host.User, Socket: n.socket(), Err: err}
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) {
		e.Reason = "the SSH connection failed"
		return e
	}
	if oce.Reason == ssh.Prohibited {
		e.Reason = "sshd forbids stream-local forwarding; set `AllowStreamLocalForwarding yes` (or `all`/`local`) in the host's sshd_config and check `DisableForwarding` is not set"
		return e
	}
	sock := shellquote.Quote(n.socket())
	out, _ := n.Run(ctx, "id -un; id -Gn; if [ -S "+sock+" ]; then echo socket; fi; if [ -w "+sock+" ] && [ -r "+sock+" ]; then echo access; fi; ls -l "+sock+" 2>&1")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	has := func(s string) bool {
		for _, l := range lines {
			if l == s {
				return true
			}
		}
		return false
	}
	switch {
	case len(lines) < 3:
		e.Reason = "the channel was refused and the host could not be asked why"
	case !has("socket"):
		e.Reason = "no socket at that path: is dockerd running, and is docker_socket right in the inventory?"
	case !has("access"):
		e.Reason = fmt.Sprintf("user %q (groups: %s) may not use the socket (%s); connect as root or add the user to the docker group (`usermod -aG docker %s`, then reconnect)",
			lines[0], lines[1], lines[len(lines)-1], lines[0])
	default:
		e.Reason = "the socket exists and is writable but connecting failed: is dockerd running?"
	}
	return e
}
