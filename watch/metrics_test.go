package watch

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/internal/testenv"
	"github.com/overlab/overlab/results"
)

// scrape is what Prometheus gets from the watch's registry.
func scrape(t *testing.T, s *State) string {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(newRegistry(s), promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ours are the exposition's overlab_ lines (the process's and Go's own
// vary by run).
func ours(exposition string) string {
	var b strings.Builder
	for _, l := range strings.Split(exposition, "\n") {
		if strings.Contains(l, "overlab_") && !strings.HasPrefix(l, "overlab_last_check_timestamp_seconds ") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// promtool checks the names, types, help and units of everything the
// watch exports, as Prometheus's own linter.
func promtoolCheck(t *testing.T, exposition string) error {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		testenv.SkipOrFail(t, "promtool missing: apt-get install -y --no-install-recommends prometheus (make setup-test)")
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	return nil
}

// The metrics of a round with VXLAN blocked on node3: its pairs 0 where
// the lab expects 1, four overlay pairs unexpected, node3's host still up;
// promtool finds nothing to say about them.
func TestMetricsOfARoundAndPromtool(t *testing.T) {
	hosts := allUp()
	hosts[1] = HostStatus{Name: "node2", Cause: "SSH: connection refused"}
	s := NewState("lab swarm", 15*time.Second, hosts)
	before := scrape(t, s)
	if !strings.Contains(before, "overlab_checks_total 0") || !strings.Contains(before, `overlab_host_up{host="node2"} 0`) || strings.Contains(before, "overlab_probe_up") {
		t.Errorf("before the first round:\n%s", ours(before))
	}
	s.Record(RoundResult{At: t0, Took: 758 * time.Millisecond, Doc: loadDoc(t, "vxlan-blocked"), Hosts: hosts})
	got := scrape(t, s)
	if promtoolCheck(t, "# HELP overlab_checks Rounds.\n# TYPE overlab_checks counter\noverlab_checks 1\n") == nil {
		t.Fatal("promtool accepts a counter without _total: it would not catch a bad name either")
	}
	if err := promtoolCheck(t, got); err != nil {
		t.Error(err)
	}
	golden.Assert(t, "vxlan-blocked.metrics.golden", []byte(ours(got)))
	for _, want := range []string{
		`overlab_probe_up{from="node1",kind="udp",network="overlab-overlay",to="node3"} 0`,
		`overlab_probe_expected{from="node1",kind="udp",network="overlab-overlay",to="node3"} 1`,
		`overlab_probe_up{from="node1",kind="udp",network="overlab-overlay",to="node2"} 1`,
		`overlab_pairs_unexpected{network="overlab-overlay"} 4`,
		`overlab_pairs_unexpected{network="overlab-macvlan"} 0`,
		`overlab_check_duration_seconds 0.758`,
		`overlab_checks_total 1`,
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Two probes of one kind between one pair (a host's underlay address and
// its macvlan container) are two series, the one to the host's address
// saying so; the labels do not change when the container's address does,
// nor when the source's probe is not running (its rows have no target).
func TestProbeSeriesAreUniqueAndStable(t *testing.T) {
	s := NewState("lab swarm", time.Second, allUp())
	labels := func(d *results.Document) map[string]bool {
		s.Record(RoundResult{At: t0, Doc: d, Hosts: allUp()})
		snap, _ := s.Current()
		out := map[string]bool{}
		for _, p := range probeSeries(snap.Doc.Probes, snap.ToLabels) {
			k := p.Network + "|" + p.From + "|" + p.To + "|" + p.Kind
			if out[k] {
				t.Errorf("two series %s", k)
			}
			out[k] = true
		}
		if len(out) != len(d.Probes) {
			t.Errorf("%d series for %d probes", len(out), len(d.Probes))
		}
		return out
	}
	before := labels(loadDoc(t, "pass"))
	if !before["overlab-macvlan|node1|node2 (192.168.72.12)|icmp"] || !before["overlab-macvlan|node1|node2|icmp"] {
		t.Errorf("macvlan series: %v", before)
	}
	moved := loadDoc(t, "pass")
	for i, p := range moved.Probes {
		if p.Target == "192.168.72.145" {
			moved.Probes[i].Target = "192.168.72.199" // node2's task restarted
		}
		if p.From == "node1" {
			moved.Probes[i].Target = "" // node1's probe is not running
		}
	}
	after := labels(moved)
	for k := range before {
		if !after[k] {
			t.Errorf("series %s gone", k)
		}
	}
}
