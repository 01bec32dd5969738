//go:build !windows

package cluster

import (
	"net"
	"time"

	"golang.org/x/crypto/ssh/agent"
)

// openAgent connects to the ssh-agent socket sock ("" means none). It
// returns where it looked, the agent (nil for none) and what closes it.
func openAgent(sock string, _ bool) (string, agent.Agent, func(), error) {
	if sock == "" {
		return "", nil, nil, nil
	}
	conn, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return sock, nil, nil, err
	}
	return sock, agent.NewClient(conn), func() { conn.Close() }, nil
}
