package watch

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/results"
)

// A listen address in use, a web configuration whose certificate is
// missing, and a password that is not a bcrypt hash are each said at once,
// naming the flag, the file and the way out.
func TestListenRefusesBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noCert := write("nocert.yml", "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n")
	badUser := write("baduser.yml", "basic_auth_users:\n  alice: plain-text\n")
	typo := write("typo.yml", "tls_server_cofig:\n  cert_file: a.crt\n")
	for _, tc := range []struct {
		name, addr, webConfig string
		want                  []string
	}{
		{"address in use", busy.Addr().String(), "", []string{"--listen " + busy.Addr().String(), "in use", "pick another port"}},
		{"no port", "127.0.0.1", "", []string{"--listen 127.0.0.1", "want HOST:PORT"}},
		{"certificate missing", "127.0.0.1:0", noCert, []string{"--web-config " + noCert, "missing.crt", "no such file"}},
		{"web config missing", "127.0.0.1:0", filepath.Join(dir, "nope.yml"), []string{"--web-config", "nope.yml", "no such file"}},
		{"password not hashed", "127.0.0.1:0", badUser, []string{"--web-config " + badUser, "hash"}},
		{"unknown field", "127.0.0.1:0", typo, []string{"--web-config " + typo, "tls_server_cofig"}},
	} {
		s, err := Listen(tc.addr, tc.webConfig)
		if err == nil {
			s.Close()
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tc.name, err, w)
			}
		}
	}
}

// serve starts a server for s on a free loopback port.
func serve(t *testing.T, s *State, webConfig string) *Server {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", webConfig)
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve(s, log.NoOp{})
	t.Cleanup(func() { srv.Close() })
	return srv
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The page, the JSON of the last round in the results schema, the
// transitions, and an update on the stream after each round.
func TestServerPageMatrixAndStream(t *testing.T) {
	s := NewState("lab swarm", time.Second, allUp())
	srv := serve(t, s, "")
	if !srv.Loopback() || !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("%s: loopback %v", srv.URL(), srv.Loopback())
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if resp, _ := get(t, c, srv.URL()+"api/matrix"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("matrix before the first round: %s", resp.Status)
	}
	resp, page := get(t, c, srv.URL())
	if resp.StatusCode != 200 || !strings.Contains(page, "Waiting for the first check round") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("page before the first round: %s %v", resp.Status, resp.Header)
	}
	if resp, _ := get(t, c, srv.URL()+"nothing-here"); resp.StatusCode != 404 {
		t.Errorf("unknown path: %s", resp.Status)
	}

	streamResp, err := c.Get(srv.URL() + "api/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer streamResp.Body.Close()
	if ct := streamResp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("stream content type %q", ct)
	}
	s.Record(RoundResult{At: t0, Doc: loadDoc(t, "pass"), Hosts: allUp()})
	s.Record(RoundResult{At: t0.Add(time.Second), Doc: loadDoc(t, "vxlan-blocked"), Hosts: allUp()})
	r := bufio.NewReader(streamResp.Body)
	var update struct {
		Round    int               `json:"round"`
		Sections map[string]string `json:"sections"`
	}
	for update.Round < 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			if err := json.Unmarshal([]byte(data), &update); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !strings.Contains(update.Sections["networks"], `data-state="failed"`) || !strings.Contains(update.Sections["timeline"], "ok → failed") {
		t.Errorf("round 2's update lacks the failed cells or the transitions")
	}

	resp, body := get(t, c, srv.URL()+"api/matrix")
	d, err := results.Decode(strings.NewReader(body))
	if resp.StatusCode != 200 || err != nil || d.Summary.Failed != 12 {
		t.Errorf("matrix: %s %v %+v", resp.Status, err, d)
	}
	_, body = get(t, c, srv.URL()+"api/events")
	var evs []results.Event
	if err := json.Unmarshal([]byte(body), &evs); err != nil || len(evs) != 12 {
		t.Errorf("events: %d, %v", len(evs), err)
	}
	if resp, js := get(t, c, srv.URL()+"live.js"); resp.StatusCode != 200 || !strings.Contains(js, "EventSource") {
		t.Errorf("live.js: %s", resp.Status)
	}
	// The stream ends with the server, promptly.
	start := time.Now()
	srv.Close()
	if _, err := io.Copy(io.Discard, streamResp.Body); err != nil && time.Since(start) > 2*time.Second {
		t.Errorf("stream still open %v after close: %v", time.Since(start), err)
	}
}

// With the exporter toolkit's web configuration: TLS, and every path
// behind basic auth.
func TestServerTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	for name, b := range map[string][]byte{"w.crt": certPEM, "w.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	body := "tls_server_config:\n  cert_file: w.crt\n  key_file: w.key\nbasic_auth_users:\n  prometheus: " + string(hash) + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewState("lab swarm", time.Second, allUp())
	s.Record(RoundResult{At: t0, Doc: loadDoc(t, "pass"), Hosts: allUp()})
	srv := serve(t, s, cfg)
	if !strings.HasPrefix(srv.URL(), "https://") {
		t.Fatalf("URL %s", srv.URL())
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, path := range []string{"", "metrics", "api/matrix", "live.js"} {
		if resp, _ := get(t, c, srv.URL()+path); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/%s without a password: %s", path, resp.Status)
		}
		req, _ := http.NewRequest("GET", srv.URL()+path, nil)
		req.SetBasicAuth("prometheus", "s3cret")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("/%s with the password: %s", path, resp.Status)
		}
	}
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + srv.Addr().String() + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the TLS listener: %s", resp.Status)
		}
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "overlab watch test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
