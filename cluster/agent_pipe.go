package cluster

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
)

// openSSHAgentPipe is where Windows' OpenSSH ssh-agent service listens.
const openSSHAgentPipe = `\\.\pipe\openssh-ssh-agent`

// pipePath says whether an agent address names a Windows named pipe, as
// SSH_AUTH_SOCK or IdentityAgent may spell it (\\.\pipe\name or
// //./pipe/name), and returns it in the form Windows opens.
func pipePath(sock string) (string, bool) {
	p := strings.ReplaceAll(sock, "/", `\`)
	if len(p) > len(`\\.\pipe\`) && strings.EqualFold(p[:len(`\\.\pipe\`)], `\\.\pipe\`) {
		return p, true
	}
	return "", false
}

// isNotExist: nothing listens there (no agent running), which is no error.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT)
}
