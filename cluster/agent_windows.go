package cluster

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/Microsoft/go-winio"
	"github.com/davidmz/go-pageant"
	"golang.org/x/crypto/ssh/agent"
)

// openAgent connects to the user's ssh-agent on Windows: the named pipe or
// socket that SSH_AUTH_SOCK names; without one (the usual case there), the
// Windows OpenSSH agent's pipe, else a running Pageant. search says whether
// it may look for those when sock is "" (not when the caller disabled the
// agent).
func openAgent(sock string, search bool) (string, agent.Agent, func(), error) {
	switch {
	case sock != "":
		conn, err := dialAgent(sock)
		if err != nil {
			return sock, nil, nil, err
		}
		return sock, agent.NewClient(conn), func() { conn.Close() }, nil
	case !search:
		return "", nil, nil, nil
	}
	conn, perr := dialPipe(openSSHAgentPipe)
	if perr == nil {
		return openSSHAgentPipe, agent.NewClient(conn), func() { conn.Close() }, nil
	}
	if pageant.Available() {
		return "Pageant", pageant.New(), func() {}, nil
	}
	if !isNotExist(perr) {
		return openSSHAgentPipe, nil, nil, perr // there, but not answering
	}
	return "", nil, nil, nil // no agent runs: keys come from files only
}

func dialAgent(sock string) (net.Conn, error) {
	if p, ok := pipePath(sock); ok {
		return dialPipe(p)
	}
	// A Unix socket: AF_UNIX exists on Windows 10 and later.
	return net.DialTimeout("unix", sock, 2*time.Second)
}

func dialPipe(path string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := winio.DialPipeContext(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("named pipe %s: %w", path, err)
	}
	return conn, nil
}
