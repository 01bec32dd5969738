package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// PassphraseError says that a key file needs a passphrase that overlab will
// not ask for: the key must be in ssh-agent instead.
type PassphraseError struct{ File string }

func (e *PassphraseError) Error() string {
	return fmt.Sprintf("identity file %s is protected by a passphrase and ssh-agent does not hold it: "+
		"load it with `ssh-add %s` and make sure SSH_AUTH_SOCK points to that agent", e.File, e.File)
}

// signers collects the keys to offer: the host's identity file first, then
// the agent's keys. The returned closer releases the agent connection; agent
// signers only work while it is open.
func signers(identityFile string, o *options) ([]ssh.Signer, func(), error) {
	var agentSigners []ssh.Signer
	closer := func() {}
	// The agent is reached as the system offers it (agent_windows.go:
	// OpenSSH's named pipe or Pageant; elsewhere SSH_AUTH_SOCK's socket).
	sock, ag, closeAgent, err := openAgent(agentSocket(o), !o.agentSet)
	switch {
	case err != nil:
		o.log.V(1).Infof("ssh-agent at %s not usable: %v", sock, err)
	case ag != nil:
		closer = closeAgent
		agentSigners, err = ag.Signers()
		if err != nil {
			o.log.Warnf("ssh-agent at %s: listing keys: %v", sock, err)
		}
	}

	var out []ssh.Signer
	if identityFile != "" {
		path := expandHome(identityFile)
		pem, err := os.ReadFile(path)
		switch {
		case err != nil && len(agentSigners) > 0:
			o.log.V(1).Infof("identity file %s unreadable (%v); using ssh-agent keys only", path, err)
		case err != nil:
			closer()
			return nil, nil, fmt.Errorf("reading identity file: %w", err)
		default:
			s, err := ssh.ParsePrivateKey(pem)
			var pe *ssh.PassphraseMissingError
			switch {
			case errors.As(err, &pe):
				pub := pe.PublicKey
				if pub == nil {
					pub = readPublicKey(path + ".pub")
				}
				if !agentHolds(agentSigners, pub) {
					closer()
					return nil, nil, &PassphraseError{File: path}
				}
				// The agent signs with this key; nothing to add.
			case err != nil:
				closer()
				return nil, nil, fmt.Errorf("parsing identity file %s: %w", path, err)
			default:
				out = append(out, s)
			}
		}
	}
	for _, s := range agentSigners {
		if !agentHolds(out, s.PublicKey()) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		closer()
		return nil, nil, errors.New("no SSH key to offer: set identity_file in the inventory or load a key into ssh-agent (SSH_AUTH_SOCK)")
	}
	return out, closer, nil
}

// agentSocket is where the agent is: the option when set ("" disables
// the agent), else SSH_AUTH_SOCK.
func agentSocket(o *options) string {
	if o.agentSet {
		return o.agentSocket
	}
	return os.Getenv("SSH_AUTH_SOCK")
}

// agentHolds reports whether pub is among signers; with an unknown pub
// (an old encrypted PEM without its .pub), any agent key may be the one.
func agentHolds(signers []ssh.Signer, pub ssh.PublicKey) bool {
	if pub == nil {
		return len(signers) > 0
	}
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
			return true
		}
	}
	return false
}

func readPublicKey(path string) ssh.PublicKey {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	return pub
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}
