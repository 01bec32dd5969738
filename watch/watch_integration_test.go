//go:build linux

package watch_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/internal/syncbuf"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runner"
	"github.com/overlab/overlab/runs"
	"github.com/overlab/overlab/session"
	"github.com/overlab/overlab/session/sessiontest"
	"github.com/overlab/overlab/watch"
)

const (
	interval = 2 * time.Second
	overlay  = "overlab-overlay"
)

// running is a watch of the lab, in this process, as cmd/watch.go wires
// it, seen from outside only: its HTTP endpoints, its lines, its events.
type running struct {
	t       *testing.T
	url     string
	out     *syncbuf.Buffer
	events  *syncbuf.Buffer
	results string
	cancel  context.CancelFunc
	done    chan error
}

func startWatch(t *testing.T, l *labtest.Lab, r *runner.Runner, swarmLab *lab.Lab) *running {
	t.Helper()
	s := sessiontest.Open(t, l) // the watch's own: its loop owns the cluster
	srv, err := watch.Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := &running{t: t, url: srv.URL(), out: &syncbuf.Buffer{}, events: &syncbuf.Buffer{}, results: t.TempDir(), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	o := watch.Options{Interval: interval, Cluster: s.Cluster, Hosts: s.Hosts, Server: srv, Out: w.out, Events: w.events,
		ResultsDir: w.results, KeepRuns: 50, PingTimeout: 3 * time.Second, Logger: log.New(os.Stderr, 0)}
	go func() { w.done <- watch.Run(ctx, watch.LabSource(r, s.Cluster, s.Hosts, swarmLab), o) }()
	w.waitFor("the first round", time.Minute, func() bool { return strings.Contains(w.out.String(), "round 1 of lab swarm") })
	return w
}

func (w *running) get(path string) string {
	w.t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(w.url + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		w.t.Fatalf("GET %s: %s %v", path, resp.Status, err)
	}
	return string(b)
}

// metric is the value of one series of /metrics; -1 when absent.
func (w *running) metric(series string) float64 {
	w.t.Helper()
	for _, line := range strings.Split(w.get("metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				w.t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

// waitMetric waits until series is want and says how long that took.
func (w *running) waitMetric(series string, want float64, within time.Duration) time.Duration {
	w.t.Helper()
	start := time.Now()
	w.waitFor(fmt.Sprintf("%s = %g", series, want), within, func() bool { return w.metric(series) == want })
	return time.Since(start)
}

func (w *running) waitFor(what string, within time.Duration, ok func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		select {
		case err := <-w.done:
			w.t.Fatalf("the watch ended (%v) while waiting for %s:\n%s", err, what, w.out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	w.t.Fatalf("no %s within %v; the watch said:\n%s", what, within, w.out.String())
}

// eventsFile is the events written so far, each line a results.Event.
func (w *running) eventsFile() []results.Event {
	w.t.Helper()
	var out []results.Event
	sc := bufio.NewScanner(strings.NewReader(w.events.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev results.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			w.t.Fatalf("events line %q: %v", sc.Text(), err)
		}
		out = append(out, ev)
	}
	return out
}

// stop ends the watch as Ctrl-C does and says how long it took.
func (w *running) stop() time.Duration {
	start := time.Now()
	w.cancel()
	select {
	case err := <-w.done:
		if err != nil {
			w.t.Errorf("watch: %v", err)
		}
	case <-time.After(30 * time.Second):
		w.t.Fatal("the watch did not end 30 s after its context")
	}
	return time.Since(start)
}

func probeUp(from, to, kind string) string {
	return fmt.Sprintf(`overlab_probe_up{from=%q,kind=%q,network=%q,to=%q}`, from, kind, overlay, to)
}

// TestWatchTheLab: a watch of the swarm lab on 3 real hosts, scraped and
// read in real Chromium: VXLAN blocked on node3 flips the metric and the
// page's cell, heal flips them back, each transition a line and an event
// with its diagnosis; node3's engine stopped and started, then its SSH
// lost and back, are each seen and recovered from; the runs stored stay
// few; the watch of the user's own network ends within 5 s of Ctrl-C and
// of SIGTERM, leaving nothing of overlab's.
func TestWatchTheLab(t *testing.T) {
	l := labtest.Up(t, 3)
	s := sessiontest.Open(t, l) // the test's own connections (up, faults)
	swarmLab, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	bin := labtest.ProbeBinary(t)
	r := runner.New(runner.WithProbeBinary(bin), runner.WithWait(90*time.Second), runner.WithEngineRestarter(local.New().Restarter(l.Lab)))
	if _, err := r.Up(context.Background(), s.Cluster, s.Hosts, swarmLab); err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() {
		// New connections: the subtests cut node3's SSH for a while.
		ds, err := session.Open(context.Background(), sessiontest.Config(l))
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer ds.Close()
		if _, err := r.Down(context.Background(), ds.Cluster, swarmLab, true); err != nil {
			t.Logf("cleanup down: %v", err)
		}
	})

	t.Run("your own network: Ctrl-C and SIGTERM remove the probes within 5 s", func(t *testing.T) {
		testEndsWithin5s(t, l, s.Cluster)
	})

	w := startWatch(t, l, runner.New(runner.WithProbeBinary(bin)), swarmLab)
	t.Run("metrics scraped and checked by promtool", func(t *testing.T) {
		w.waitMetric(probeUp("node1", "node3", "udp"), 1, 30*time.Second)
		exposition := w.get("metrics")
		promtool(t, exposition)
		for _, want := range []string{`overlab_host_up{host="node3"} 1`, `overlab_pairs_unexpected{network="overlab-overlay"} 0`, "overlab_probe_rtt_seconds{", "overlab_checks_total "} {
			if !strings.Contains(exposition, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
	t.Run("a fault flips the metric and the page; heal flips them back", func(t *testing.T) {
		testFaultAndHeal(t, w, s.Cluster.Node("node3"))
	})
	t.Run("node3's engine stopped and started again", func(t *testing.T) {
		testEngineGoneAndBack(t, w, l)
	})
	t.Run("SSH to node3 lost and back", func(t *testing.T) {
		testSSHGoneAndBack(t, w, l)
	})
	t.Run("runs stored: the first round and the rounds with a transition", func(t *testing.T) {
		testRunsBounded(t, w)
	})
	// Every check of the lab is a row of every round: none was said gone,
	// not even while node3's task restarted with a new address.
	for _, ev := range w.eventsFile() {
		if ev.Now == results.OutcomeAbsent || ev.Was == results.OutcomeAbsent {
			t.Errorf("a probe came or went: %+v", ev)
		}
	}
	if took := w.stop(); took > 5*time.Second {
		t.Errorf("the watch took %v to end", took)
	}
	t.Logf("the watch said:\n%s", w.out.String())
}

func testFaultAndHeal(t *testing.T, w *running, n3 *cluster.Node) {
	b := newBrowser(t)
	b.open(w.url)
	if c := b.waitCell(overlay, "node1", "node3", "ok", 30*time.Second); c.Round < 1 {
		t.Errorf("page at round %d", c.Round)
	}
	ctx := context.Background()
	if _, err := fault.Inject(ctx, n3, n3.Host.Address, fault.Spec{Kind: fault.Block, Port: 4789, Protos: []string{"udp"}}); err != nil {
		t.Fatal(err)
	}
	healed := false
	defer func() {
		if !healed {
			_, _ = fault.Heal(context.Background(), n3)
		}
	}()
	took := w.waitMetric(probeUp("node1", "node3", "udp"), 0, 10*interval)
	t.Logf("fault to metric: %v (interval %v)", took.Round(time.Millisecond), interval)
	c := b.waitCell(overlay, "node1", "node3", "failed", 10*interval)
	if !strings.Contains(c.Title, "not as expected") || !strings.Contains(c.Timeline, "node1 → node3 udp: ok → failed") || !strings.Contains(c.Timeline, "4789") {
		t.Errorf("failed cell %q, timeline:\n%s", c.Title, c.Timeline)
	}
	b.screenshot("watch-fault")
	if v := w.metric(`overlab_pairs_unexpected{network="overlab-overlay"}`); v != 4 {
		t.Errorf("overlay pairs unexpected: %v, want the 4 of node3", v)
	}
	if v := w.metric(probeUp("node1", "node2", "udp")); v != 1 {
		t.Errorf("node1 → node2 went %v", v)
	}
	line := grepLine(w.out.String(), "overlab-overlay: node1 → node3 udp: ok → failed")
	if line == "" || !strings.Contains(line, "why: node3 cannot receive VXLAN (4789/udp)") {
		t.Errorf("no transition line with its diagnosis:\n%s", w.out.String())
	}
	found := false
	for _, ev := range w.eventsFile() {
		if ev.Type == results.EventProbe && ev.From == "node1" && ev.To == "node3" && ev.Kind == "udp" && ev.Now == results.OutcomeFailed {
			found = len(ev.Diagnoses) > 0 && ev.Diagnoses[0].Pattern == "vxlan-blocked" && ev.Cause != ""
		}
	}
	if !found {
		t.Errorf("no event of node1 → node3 udp failing with the vxlan-blocked diagnosis:\n%s", w.events.String())
	}

	if _, err := fault.Heal(ctx, n3); err != nil {
		t.Fatal(err)
	}
	healed = true
	w.waitMetric(probeUp("node1", "node3", "udp"), 1, 10*interval)
	b.waitCell(overlay, "node1", "node3", "ok", 10*interval)
	if grepLine(w.out.String(), "overlab-overlay: node1 → node3 udp: failed → ok") == "" {
		t.Errorf("no line for the heal:\n%s", w.out.String())
	}
}

func testEngineGoneAndBack(t *testing.T, w *running, l *labtest.Lab) {
	rs := local.New().Restarter(l.Lab)
	stopped, err := rs.StopEngine("node3")
	if err != nil {
		t.Fatal(err)
	}
	started := false
	defer func() {
		if !started {
			_ = rs.StartEngine(context.Background(), stopped)
		}
	}()
	w.waitMetric(`overlab_host_up{host="node3"}`, 0, 60*time.Second)
	w.waitMetric(probeUp("node3", "node1", "udp"), 0, 10*interval)
	doc := w.matrix()
	for _, p := range doc.Probes {
		if p.From == "node3" && (p.OK || !strings.Contains(p.Error, "engine")) {
			t.Errorf("node3's probe while its engine is gone: %+v", p)
		}
	}
	if line := grepLine(w.out.String(), "host node3 lost: engine"); line == "" {
		t.Errorf("no line for node3's engine:\n%s", w.out.String())
	}
	if err := rs.StartEngine(context.Background(), stopped); err != nil {
		t.Fatal(err)
	}
	started = true
	w.waitMetric(`overlab_host_up{host="node3"}`, 1, 60*time.Second)
	// Its swarm task starts again: its pairs come back.
	w.waitMetric(probeUp("node3", "node1", "udp"), 1, 3*time.Minute)
	w.waitMetric(probeUp("node1", "node3", "udp"), 1, time.Minute)
	if grepLine(w.out.String(), "host node3 back") == "" {
		t.Errorf("no line for node3 back:\n%s", w.out.String())
	}
}

func testSSHGoneAndBack(t *testing.T, w *running, l *labtest.Lab) {
	ns := "--net=/var/run/netns/" + l.Netns(3)
	rule := []string{"INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP"}
	ipt := func(op string) error {
		out, err := exec.Command("nsenter", append([]string{ns, "iptables", "-w", "5", op}, rule...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("iptables %s: %v: %s", op, err, out)
		}
		return nil
	}
	if err := ipt("-I"); err != nil {
		t.Fatal(err)
	}
	blocked := true
	defer func() {
		if blocked {
			_ = ipt("-D")
		}
	}()
	w.waitMetric(`overlab_host_up{host="node3"}`, 0, time.Minute)
	if line := grepLine(w.out.String(), "host node3 lost: SSH"); line == "" {
		t.Errorf("no line for node3's SSH:\n%s", w.out.String())
	}
	w.waitMetric(probeUp("node3", "node1", "udp"), 0, 10*interval)
	// The others still reach node3's probe: only overlab lost it.
	if v := w.metric(probeUp("node1", "node3", "udp")); v != 1 {
		t.Errorf("node1 → node3 is %v while only SSH to node3 is gone", v)
	}
	if err := ipt("-D"); err != nil {
		t.Fatal(err)
	}
	blocked = false
	w.waitMetric(`overlab_host_up{host="node3"}`, 1, time.Minute)
	w.waitMetric(probeUp("node3", "node1", "udp"), 1, time.Minute)
}

func testRunsBounded(t *testing.T, w *running) {
	list, err := runs.List(w.results)
	if err != nil {
		t.Fatal(err)
	}
	rounds := map[int]bool{1: true}
	for _, ev := range w.eventsFile() {
		rounds[ev.Round] = true
	}
	last := w.metric("overlab_checks_total")
	// One round may have ended between the two reads.
	if len(list) < len(rounds) || len(list) > len(rounds)+1 {
		t.Errorf("%d runs stored for %v checks: want the first round and the %d rounds with a transition", len(list), last, len(rounds)-1)
	}
	if float64(len(list)) >= last {
		t.Errorf("%d runs for %v rounds: not bounded", len(list), last)
	}
	t.Logf("%d runs stored in %v rounds", len(list), last)
}

func (w *running) matrix() *results.Document {
	w.t.Helper()
	d, err := results.Decode(strings.NewReader(w.get("api/matrix")))
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

func grepLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func promtool(t *testing.T, exposition string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool missing: apt-get install -y --no-install-recommends prometheus (make setup-test)")
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// testEndsWithin5s runs the overlab binary's watch of a network the user
// made (an overlay made with the engine's CLI, on the lab's swarm), ends
// it with SIGINT, then SIGTERM, and finds nothing of the watch's left and
// the user's network as it was.
func testEndsWithin5s(t *testing.T, l *labtest.Lab, c *cluster.Cluster) {
	ctx := context.Background()
	n1 := c.Node("node1")
	if out, err := n1.Run(ctx, "docker network create -d overlay --attachable --label owner=user userov"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	defer n1.Run(context.Background(), "docker network rm userov")
	before, _ := n1.Run(ctx, "docker network inspect -f '{{.ID}} {{.Labels}}' userov")
	bin := overlabBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(bin, "watch", "-i", l.Inventory, "--networks", "userov", "--interval", "2s", "--listen", "127.0.0.1:0", "--results", t.TempDir())
		var out syncbuf.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for !strings.Contains(out.String(), "round 1 of networks userov") && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if !strings.Contains(out.String(), "round 1 of networks userov") {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("no first round:\n%s", out.String())
		}
		if n := overlabsProbes(t, c); n == 0 {
			t.Errorf("no probe of the watch's is running")
		}
		sent := time.Now()
		_ = cmd.Process.Signal(sig)
		err := cmd.Wait()
		took := time.Since(sent)
		t.Logf("%v: ended in %v", sig, took.Round(time.Millisecond))
		if took > 5*time.Second || err != nil {
			t.Errorf("%v: the watch ended in %v (%v):\n%s", sig, took, err, out.String())
		}
		if n := overlabsProbes(t, c); n != 0 {
			t.Errorf("%v: %d containers or services of the watch left:\n%s", sig, n, out.String())
		}
	}
	if after, _ := n1.Run(ctx, "docker network inspect -f '{{.ID}} {{.Labels}}' userov"); string(after) != string(before) {
		t.Errorf("the user's network changed: %s → %s", before, after)
	}
}

// overlabsProbes counts the containers and services of overlab's checks
// on the hosts (their owner label).
func overlabsProbes(t *testing.T, c *cluster.Cluster) int {
	t.Helper()
	ctx := context.Background()
	sel := filters.NewArgs(filters.Arg("label", runner.OwnerLabel))
	n := 0
	svcs, err := c.Node("node1").Docker().ServiceList(ctx, swarm.ServiceListOptions{Filters: sel})
	if err != nil {
		t.Fatal(err)
	}
	n += len(svcs)
	for _, node := range c.Nodes {
		cs, err := node.Docker().ContainerList(ctx, container.ListOptions{All: true, Filters: sel})
		if err != nil {
			t.Fatal(err)
		}
		n += len(cs)
	}
	return n
}

func overlabBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "overlab")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "../cmd/overlab")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build overlab: %v\n%s", err, out)
	}
	return bin
}
