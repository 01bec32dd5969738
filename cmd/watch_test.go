package cmd

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input to watch is said before any connection, with the flag, the
// file and the way out, and exits 2; nothing is listened on or made.
func TestWatchBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	noCert := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(noCert, []byte("tls_server_config:\n  cert_file: gone.crt\n  key_file: gone.key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// No inventory: reaching the session would say so instead.
	inv := filepath.Join(dir, "none.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--interval", "500ms"}, "--interval 500ms: want 1s or more"},
		{[]string{"--interval", "0s"}, "--interval 0s: want 1s or more"},
		{[]string{"--interval", "fast"}, `invalid argument "fast" for "--interval" flag: not a duration: want e.g. 15s, 1m or 1m30s`},
		{[]string{"--listen", busy.Addr().String()}, "--listen " + busy.Addr().String() + ": the address is in use"},
		{[]string{"--listen", "localhost"}, "--listen localhost: "},
		{[]string{"--web-config", noCert}, "--web-config " + noCert + ": "},
		{[]string{"--web-config", filepath.Join(dir, "nope.yml")}, "nope.yml: no such file"},
		{[]string{"--lab", "swarm", "--networks", "backend"}, "--lab names a lab: give one of them"},
		{[]string{"--events", filepath.Join(dir, "no", "dir", "ev.jsonl")}, "--events " + filepath.Join(dir, "no", "dir", "ev.jsonl") + ": its directory does not exist"},
		{[]string{"--keep-runs", "-1"}, "--keep-runs -1"},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"watch", "-i", inv, "--listen", "127.0.0.1:0"}, tc.args...)
		code := Execute(args, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("overlab %s: exit %d, stderr %q; want 2 and %q", strings.Join(args, " "), code, errOut.String(), tc.want)
		}
		if strings.Contains(errOut.String(), "inventory") {
			t.Errorf("overlab %s reached the inventory: %s", strings.Join(tc.args, " "), errOut.String())
		}
	}
}

// Listening on anything but loopback is said at start, with what the
// endpoint shows and whether TLS and authentication are on.
func TestWatchSaysANonLoopbackListen(t *testing.T) {
	inv := filepath.Join(t.TempDir(), "none.yaml")
	var out, errOut bytes.Buffer
	code := Execute([]string{"watch", "-i", inv, "--listen", "0.0.0.0:0"}, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	said := errOut.String()
	if code != 2 || !strings.Contains(said, "which is not loopback: whoever reaches it sees your networks' topology (no TLS, no authentication: give them with --web-config FILE)") {
		t.Errorf("exit %d, stderr:\n%s", code, said)
	}
	if i, j := strings.Index(said, "not loopback"), strings.Index(said, "inventory"); i < 0 || j < i {
		t.Errorf("the listen address is not said first:\n%s", said)
	}
}
