package watch

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/internal/syncbuf"
	"github.com/overlab/overlab/internal/testenv"
	"github.com/overlab/overlab/log"
)

const (
	dashboardPath = "../docs/watch/grafana-dashboard.json"
	alertsPath    = "../docs/watch/alerts.yml"
)

// dashboardQueries are the PromQL queries of the dashboard's panels, with
// its variables set to match everything.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	var out []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			out = append(out, strings.NewReplacer("$instance", ".*", "$network", ".*").Replace(tg.Expr))
		}
	}
	return out
}

// alertQueries are the alert rules' expressions.
func alertQueries(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(alertsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", alertsPath, err)
	}
	out := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	return out
}

var metricName = regexp.MustCompile(`overlab_[a-z_]+`)

// The dashboard and the alert rules use only metrics the watch exports.
func TestDashboardAndAlertsUseExportedMetrics(t *testing.T) {
	exported := map[string]bool{}
	ch := make(chan *prometheus.Desc, 16)
	go func() { collector{}.Describe(ch); close(ch) }()
	for d := range ch {
		exported[metricName.FindString(d.String())] = true
	}
	queries := dashboardQueries(t)
	for _, q := range alertQueries(t) {
		queries = append(queries, q)
	}
	for _, q := range queries {
		for _, name := range metricName.FindAllString(q, -1) {
			if !exported[name] {
				t.Errorf("%q uses %s, which the watch does not export", q, name)
			}
		}
	}
}

// promtool checks the alert rules and runs their unit tests: they fire
// when they should and not before.
func TestAlertRulesWithPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		testenv.SkipOrFail(t, "promtool missing: apt-get install -y --no-install-recommends prometheus (make setup-test)")
	}
	for _, args := range [][]string{{"check", "rules", alertsPath}, {"test", "rules", "testdata/alerts.test.yml"}} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// A real Prometheus scrapes a watch over TLS with basic auth, and every
// query of the dashboard and of the alert rules runs on what it scraped.
func TestPrometheusScrapesTheWatch(t *testing.T) {
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		testenv.SkipOrFail(t, "prometheus missing: apt-get install -y --no-install-recommends prometheus (make setup-test)")
	}
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"w.crt": string(certPEM), "w.key": string(keyPEM),
		"web.yml": "tls_server_config:\n  cert_file: w.crt\n  key_file: w.key\nbasic_auth_users:\n  prometheus: " + string(hash) + "\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hosts := allUp()
	hosts[1] = HostStatus{Name: "node2", Cause: "SSH: no answer within 5s"}
	s := NewState("lab swarm", time.Second, hosts)
	s.Record(RoundResult{At: time.Now(), Took: time.Second, Doc: loadDoc(t, "vxlan-blocked"), Hosts: hosts})
	srv, err := Listen("127.0.0.1:0", filepath.Join(dir, "web.yml"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve(s, log.NoOp{})
	defer srv.Close()

	query := startPrometheus(t, prom, dir, srv.Addr().String())
	// Three scrapes at least: rate() needs two samples.
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := query(`count_over_time(overlab_checks_total{job="overlab"}[1m]) >= 3`)
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			up, _ := query(`up{job="overlab"} == 1`)
			t.Fatalf("Prometheus did not scrape the watch (up: %d series, %v)", up, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for _, q := range dashboardQueries(t) {
		if n, err := query(q); err != nil || n == 0 {
			t.Errorf("dashboard query %q: %d series, %v", q, n, err)
		}
	}
	firing := map[string]bool{"OverlabPairsNotAsExpected": true, "OverlabProbeNotAsExpected": true, "OverlabHostDown": true}
	for name, q := range alertQueries(t) {
		n, err := query(q)
		if err != nil || (n > 0) != firing[name] {
			t.Errorf("alert %s (%q): %d series, %v", name, q, n, err)
		}
	}
}

// startPrometheus runs a Prometheus that scrapes target every second over
// TLS (dir's w.crt) with basic auth, until t ends, and returns a function
// that runs an instant query on it and counts the series.
func startPrometheus(t *testing.T, prom, dir, target string) func(q string) (int, error) {
	t.Helper()
	promAddr := freeAddr(t)
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: overlab
    scheme: https
    tls_config: {ca_file: %s}
    basic_auth: {username: prometheus, password: s3cret}
    static_configs: [{targets: ['%s']}]
`, filepath.Join(dir, "w.crt"), target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prom, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=error")
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus said:\n%s", out.String())
		}
	})
	return func(q string) (int, error) {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var r struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return 0, err
		}
		if r.Status != "success" {
			return 0, fmt.Errorf("%s: %s", r.Status, r.Error)
		}
		return len(r.Data.Result), nil
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
