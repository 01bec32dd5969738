package cluster

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/overlab/overlab/log"
)

// UnknownHostKeyError: no known_hosts file lists the host.
type UnknownHostKeyError struct {
	Host        string // as written in known_hosts: host or [host]:port
	KeyType     string
	Fingerprint string
	Files       []string
}

func (e *UnknownHostKeyError) Error() string {
	return fmt.Sprintf("host key of %s is not known (%s %s); check the fingerprint and add it to %s, or run with --trust-new-hosts to record it",
		e.Host, e.KeyType, e.Fingerprint, strings.Join(e.Files, ", "))
}

// ChangedHostKeyError: the host offered a key that differs from the recorded
// one. Never accepted, whatever the options.
type ChangedHostKeyError struct {
	Host        string
	KeyType     string
	Fingerprint string
	Known       []knownhosts.KnownKey
}

func (e *ChangedHostKeyError) Error() string {
	var recorded []string
	for _, k := range e.Known {
		recorded = append(recorded, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
	}
	return fmt.Sprintf("REMOTE HOST IDENTIFICATION HAS CHANGED for %s: it offered %s %s but known_hosts records %s; "+
		"refusing to connect (someone may be intercepting the connection). If the change is expected, remove the old entry with "+
		"`ssh-keygen -R '%s' -f FILE`",
		e.Host, e.KeyType, e.Fingerprint, strings.Join(recorded, ", "), e.Host)
}

// hostKeys checks host keys against known_hosts files and, when trusted,
// records new ones in the first file.
type hostKeys struct {
	files    []string // all configured files, first one is where new keys go
	check    ssh.HostKeyCallback
	trustNew bool
	log      log.Logger
}

// knownHostsWrite serialises appends: Connect records keys of many hosts at once.
var knownHostsWrite sync.Mutex

func newHostKeys(spec string, trustNew bool, l log.Logger) (*hostKeys, error) {
	files := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	for i := range files {
		files[i] = expandHome(files[i])
	}
	if len(files) == 0 {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no known_hosts file configured and no home directory: %w", err)
		}
		files = []string{filepath.Join(home, ".ssh", "known_hosts")}
	}
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("known_hosts: %w", err)
		}
	}
	hk := &hostKeys{files: files, trustNew: trustNew, log: l}
	if len(existing) == 0 {
		hk.check = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
		return hk, nil
	}
	cb, err := knownhosts.New(existing...)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts: %w", err)
	}
	hk.check = cb
	return hk, nil
}

// callback is the ssh.HostKeyCallback. hostport is what we dialled; the
// known_hosts name is derived from it ([host]:port when port is not 22).
func (hk *hostKeys) callback(hostport string) ssh.HostKeyCallback {
	return func(_ string, remote net.Addr, key ssh.PublicKey) error {
		err := hk.check(hostport, remote, key)
		if err == nil {
			return nil
		}
		name := knownhosts.Normalize(hostport)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			return err // revoked, or unreadable
		}
		if len(ke.Want) > 0 {
			return &ChangedHostKeyError{Host: name, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Known: ke.Want}
		}
		if !hk.trustNew {
			return &UnknownHostKeyError{Host: name, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Files: hk.files}
		}
		if err := hk.record(hostport, key); err != nil {
			return err
		}
		hk.log.Warnf("trusted new host key of %s: %s %s (recorded in %s)", name, key.Type(), ssh.FingerprintSHA256(key), hk.files[0])
		return nil
	}
}

func (hk *hostKeys) record(hostport string, key ssh.PublicKey) error {
	knownHostsWrite.Lock()
	defer knownHostsWrite.Unlock()
	file := hk.files[0]
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("recording host key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("recording host key: %w", err)
	}
	// A file that does not end in a newline would glue our line to its last one.
	prefix := ""
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if r, err := os.Open(file); err == nil {
			if _, err := r.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
				prefix = "\n"
			}
			r.Close()
		}
	}
	_, werr := fmt.Fprintf(f, "%s%s\n", prefix, knownhosts.Line([]string{hostport}, key))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("recording host key in %s: %w", file, werr)
	}
	return nil
}

// probeKey never matches a real host key; checking it reveals which keys
// known_hosts holds for a host.
var probeKey = func() ssh.PublicKey {
	pub, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err)
	}
	return pub
}()

// algorithms puts the algorithms of the key types recorded for hostport
// first, so that the server presents the key we can verify (as OpenSSH
// does); without that, a host with ed25519 and RSA keys might present the one
// that is not recorded and look like a changed key.
func (hk *hostKeys) algorithms(hostport string) []string {
	all := ssh.SupportedAlgorithms().HostKeys
	var ke *knownhosts.KeyError
	err := hk.check(hostport, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}, probeKey)
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil // library default
	}
	var first []string
	for _, k := range ke.Want {
		for _, a := range algorithmsForKeyType(k.Key.Type()) {
			if slices.Contains(all, a) && !slices.Contains(first, a) {
				first = append(first, a)
			}
		}
	}
	out := slices.Clone(first)
	for _, a := range all {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func algorithmsForKeyType(t string) []string {
	switch t {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		return []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	default:
		return []string{t}
	}
}
