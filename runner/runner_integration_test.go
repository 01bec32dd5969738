//go:build linux

package runner_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/progress"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runner"
	"github.com/overlab/overlab/session/sessiontest"
	"github.com/overlab/overlab/workload"
)

// connect opens a session on the test lab's hosts, as every command does.
func connect(t *testing.T, l *labtest.Lab) (*cluster.Cluster, []inventory.Host) {
	t.Helper()
	s := sessiontest.Open(t, l)
	return s.Cluster, s.Hosts
}

// TestSwarmLab is the main job end to end on 3 real hosts: up from
// nothing, verified through the Docker API independently of overlab's own
// code path, a check with every pair reachable, an idempotent second up, a
// cut underlay link that fails exactly the pairs of that host, and a down
// that leaves nothing.
func TestSwarmLab(t *testing.T) {
	l := labtest.Up(t, 3)
	bin := labtest.ProbeBinary(t)
	c, hosts := connect(t, l) // closed after the down below (cleanups run last-in first-out)
	ctx := context.Background()
	swarmLab, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	// Everything overlab says goes through out, to prove no secret is in it.
	var said bytes.Buffer
	out := io.MultiWriter(os.Stderr, &said)
	// The restarter overlab wires for local hosts: a worker's leave can hit
	// moby/moby#47859 (docs/churn.md §1), which down then repairs and says.
	r := runner.New(runner.WithProbeBinary(bin), runner.WithWait(90*time.Second),
		runner.WithProgress(progress.New(out, progress.WithVerbosity(progress.Verbose))),
		runner.WithLogger(log.New(out, 9)),
		runner.WithEngineRestarter(local.New().Restarter(l.Lab)))
	t.Cleanup(func() {
		if _, err := r.Down(context.Background(), c, swarmLab, true); err != nil {
			t.Logf("cleanup down: %v", err)
		}
	})

	start := time.Now()
	res, err := r.Up(ctx, c, hosts, swarmLab)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("up from nothing: %v, %d changes", time.Since(start), len(res.Actions))

	// Independent verification with the Docker API.
	mgr := c.Node("node1").Docker()
	nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	managers := 0
	for _, n := range nodes {
		if n.Status.State != swarm.NodeStateReady {
			t.Errorf("node %s is %s", n.Description.Hostname, n.Status.State)
		}
		if n.Spec.Role == swarm.NodeRoleManager {
			managers++
		}
	}
	if len(nodes) != 3 || managers != 1 {
		t.Errorf("%d nodes with %d managers, want 3 and 1", len(nodes), managers)
	}
	for _, want := range []struct{ name, driver string }{{"overlab-overlay", "overlay"}, {"overlab-macvlan", "macvlan"}} {
		n, err := mgr.NetworkInspect(ctx, want.name, network.InspectOptions{})
		if err != nil {
			t.Errorf("network %s: %v", want.name, err)
			continue
		}
		if n.Driver != want.driver || n.Scope != "swarm" {
			t.Errorf("network %s: driver %s scope %s, want %s swarm", want.name, n.Driver, n.Scope, want.driver)
		}
	}
	assertListensOnLabAddress(t, c, "2377")
	for _, svc := range []string{"overlab-probe"} {
		tasks, err := mgr.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", svc), filters.Arg("desired-state", "running"))})
		if err != nil {
			t.Fatal(err)
		}
		perNode := map[string]int{}
		for _, tk := range tasks {
			if tk.Status.State == swarm.TaskStateRunning {
				perNode[tk.NodeID]++
			}
		}
		if len(perNode) != 3 {
			t.Errorf("service %s: running tasks on %d nodes, want 3", svc, len(perNode))
		}
		for id, n := range perNode {
			if n != 1 {
				t.Errorf("service %s: %d running tasks on node %s", svc, n, id)
			}
		}
	}

	doc, err := r.Check(ctx, c, hosts, swarmLab)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	assertAllOK(t, doc)
	_ = doc.Encode(&said)
	st := r.Status(ctx, c, hosts, swarmLab)
	nets := map[string]bool{}
	for _, n := range st.Networks {
		nets[n.Host+" "+n.Name] = true
	}
	if len(st.Nodes) != 3 || len(st.Tasks) != 3 || !nets["node1 overlab-overlay"] || !nets["node3 overlab-macvlan"] || len(st.Errors) != 0 {
		t.Errorf("status: %d nodes, %d tasks (want 3 and 3: one probe per host), networks %v, errors %v", len(st.Nodes), len(st.Tasks), nets, st.Errors)
	}
	sw, err := mgr.SwarmInspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{sw.JoinTokens.Worker, sw.JoinTokens.Manager, "SWMTKN"} {
		if secret != "" && strings.Contains(said.String(), secret) {
			t.Errorf("a swarm join token appears in overlab's output or results")
		}
	}
	assertProbeTokenHidden(t, c, said.String())
	pairs := map[string]map[string]bool{}
	for _, p := range doc.Probes {
		if p.Expect == results.ExpectReachable && p.From != p.To && (p.Kind == "icmp") {
			if pairs[p.Network] == nil {
				pairs[p.Network] = map[string]bool{}
			}
			pairs[p.Network][p.From+">"+p.To] = true
		}
	}
	for _, n := range []string{"overlab-overlay", "overlab-macvlan"} {
		// macvlan has container pairs and underlay pairs, both the same 6 ordered host pairs.
		if len(pairs[n]) != 6 {
			t.Errorf("network %s: %d ordered pairs reachable by icmp, want 6", n, len(pairs[n]))
		}
	}

	start = time.Now()
	res, err = r.Up(ctx, c, hosts, swarmLab)
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if len(res.Actions) != 0 {
		t.Errorf("second up changed things: %v", res.Actions)
	}
	t.Logf("up with nothing to change: %v", time.Since(start))

	// Cut node3's underlay link on the machine's side.
	veth := l.HostVeth(3)
	if err := execx.Run(ctx, "ip", "link", "set", veth, "down"); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			_ = execx.Run(context.Background(), "ip", "link", "set", veth, "up")
		}
	}
	defer restore()
	c2, err := cluster.Connect(ctx, hosts, cluster.WithConnectTimeout(2*time.Second), cluster.WithOpTimeout(20*time.Second))
	if c2 == nil {
		t.Fatalf("connect with node3 cut: %v", err)
	}
	cut, err := r.Check(ctx, c2, hosts, swarmLab)
	c2.Close()
	if err != nil {
		t.Fatalf("check with node3 cut: %v", err)
	}
	if !cut.Failed() {
		t.Fatal("check passed with node3 cut off")
	}
	// A pair fails when any of its probes does; Docker's DNS answers from
	// the asking host, so a name may still resolve while its peer is cut.
	failedPairs := map[string]bool{}
	for _, p := range cut.Probes {
		pair := p.Network + " " + p.From + "→" + p.To
		involves := p.From == "node3" || p.To == "node3"
		if !p.OK {
			failedPairs[pair] = true
			if p.Error == "" {
				t.Errorf("%s %s failed without a cause", pair, p.Kind)
			}
		}
		if !involves && !p.OK {
			t.Errorf("pair without node3 failed: %s %s: %s", pair, p.Kind, p.Error)
		}
	}
	for _, p := range cut.Probes {
		pair := p.Network + " " + p.From + "→" + p.To
		if (p.From == "node3" || p.To == "node3") && p.Expect == results.ExpectReachable && !failedPairs[pair] {
			t.Errorf("with node3 cut, pair %s still passed", pair)
		}
	}

	restore()
	// The swarm takes a moment to see node3 again. Check alone first; when
	// Docker's service discovery stays stale after the partition (seen: a
	// host still not resolving node3's task a minute later), `up` is the
	// repair, and the check must pass after it.
	checkUntil := func(d time.Duration) (*results.Document, error) {
		deadline := time.Now().Add(d)
		for {
			c3, _ := cluster.Connect(ctx, hosts, cluster.WithConnectTimeout(3*time.Second))
			again, err := r.Check(ctx, c3, hosts, swarmLab)
			c3.Close()
			if (err == nil && !again.Failed()) || time.Now().After(deadline) {
				return again, err
			}
			time.Sleep(2 * time.Second)
		}
	}
	restoredAt := time.Now()
	again, err := checkUntil(30 * time.Second)
	if err != nil || again.Failed() {
		t.Logf("30 s after the link came back the check still fails; running up to repair")
		c3, _ := cluster.Connect(ctx, hosts, cluster.WithConnectTimeout(3*time.Second))
		res, uerr := r.Up(ctx, c3, hosts, swarmLab)
		c3.Close()
		if uerr != nil {
			t.Fatalf("up after restoring node3's link: %v", uerr)
		}
		t.Logf("repair: %v", res.Actions)
		again, err = checkUntil(30 * time.Second)
	}
	if err != nil {
		t.Fatalf("check after restoring node3's link: %v", err)
	}
	assertAllOK(t, again)
	t.Logf("whole again %v after the link came back", time.Since(restoredAt).Round(time.Second))

	// The repair up uses when a host's service discovery stays stale:
	// every task of the service is replaced, and the lab is whole after it.
	taskIDs := func() map[string]bool {
		ts, err := mgr.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", "overlab-probe"), filters.Arg("desired-state", "running"))})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, tk := range ts {
			ids[tk.ID] = true
		}
		return ids
	}
	before := taskIDs()
	bp, err := blueprint.Compile(swarmLab, blueprint.FromInventory(hosts))
	if err != nil {
		t.Fatal(err)
	}
	spec := workload.Spec{Blueprint: bp, Hosts: runner.WorkloadHosts(c), Manager: mgr, Wait: 60 * time.Second}
	if _, err := workload.Redeploy(ctx, spec, []string{"overlab-probe"}); err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	for id := range taskIDs() {
		if before[id] {
			t.Errorf("task %s survived the redeploy", id)
		}
	}
	// up follows its redeploy with the settle step, as here: new tasks can
	// meet NetworkDB's lost attachment (docs/churn.md §2b; seen on 28.5:
	// node2 lacking its peers 20 s later), which settle names and repairs.
	res, err = r.Up(ctx, c, hosts, swarmLab)
	if err != nil {
		t.Fatalf("up after redeploy: %v", err)
	}
	t.Logf("up after redeploy: %v", res.Actions)
	if again, err = checkUntil(20 * time.Second); err != nil {
		t.Fatalf("check after redeploy: %v", err)
	}
	assertAllOK(t, again)

	start = time.Now()
	if _, err := r.Down(ctx, c, swarmLab, false); err != nil {
		t.Fatalf("down: %v", err)
	}
	t.Logf("down: %v", time.Since(start))
	assertNothingLeft(t, c, hosts)
	if _, err := r.Down(ctx, c, swarmLab, false); err != nil {
		t.Errorf("second down: %v", err)
	}
}

func assertAllOK(t *testing.T, d *results.Document) {
	t.Helper()
	if d.Summary.Total == 0 {
		t.Fatal("no probes")
	}
	for _, p := range d.Probes {
		if !p.OK {
			t.Errorf("%s %s→%s %s (%s): %s", p.Network, p.From, p.To, p.Kind, p.Target, p.Error)
		}
	}
	if d.Failed() {
		t.Fatalf("%d of %d probes not as expected", d.Summary.Failed, d.Summary.Total)
	}
	fmt.Fprintf(os.Stderr, "%d probes as expected\n", d.Summary.Total)
}

// assertListensOnLabAddress wants the swarm's manager port on each manager
// bound to the host's lab address only, none to every address (0.0.0.0 or
// ::), as the host's own socket table says (ss, through SSH). Workers do not
// listen on it at all.
func assertListensOnLabAddress(t *testing.T, c *cluster.Cluster, port string) {
	t.Helper()
	for _, n := range c.Nodes {
		if n.Host.IsManager() {
			assertNodeListensOnLabAddress(t, n, port)
			continue
		}
		if locals := listeners(t, n, port); len(locals) > 0 {
			t.Errorf("%s (a worker): port %s listens on %v", n.Name(), port, locals)
		}
	}
}

// listeners are the local addresses of the TCP sockets listening on port.
func listeners(t *testing.T, n *cluster.Node, port string) []string {
	t.Helper()
	out, err := n.Run(context.Background(), "ss -Hltn 'sport = :"+port+"'")
	if err != nil {
		t.Errorf("%s: ss: %v", n.Name(), err)
		return nil
	}
	var locals []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) >= 4 {
			locals = append(locals, f[3])
		}
	}
	return locals
}

func assertNodeListensOnLabAddress(t *testing.T, n *cluster.Node, port string) {
	t.Helper()
	locals := listeners(t, n, port)
	want := n.Host.Address + ":" + port
	if len(locals) == 0 {
		t.Errorf("%s: nothing listens on port %s", n.Name(), port)
	}
	for _, l := range locals {
		if l != want {
			t.Errorf("%s: port %s listens on %s, want only %s (the lab address)", n.Name(), port, l, want)
		}
	}
	t.Logf("%s: port %s listens on %v", n.Name(), port, locals)
}

// assertProbeTokenHidden reads the check's probe token where it lives, in a
// probe container's tmpfs, and wants it nowhere else: not in what overlab
// said or wrote, not in docker inspect of the probe's service or containers.
func assertProbeTokenHidden(t *testing.T, c *cluster.Cluster, said string) {
	t.Helper()
	ctx := context.Background()
	for _, n := range c.Nodes {
		api := n.Docker()
		list, err := api.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.name=overlab-probe"))})
		if err != nil || len(list) != 1 {
			t.Fatalf("%s: probe containers %v %v", n.Name(), list, err)
		}
		ex, err := api.ContainerExecCreate(ctx, list[0].ID, container.ExecOptions{Cmd: []string{"sh", "-c", "cut -d' ' -f1 /run/overlab/tokens/*"}, AttachStdout: true})
		if err != nil {
			t.Fatal(err)
		}
		att, err := api.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		_, _ = stdcopy.StdCopy(&out, &errOut, att.Reader)
		att.Close()
		secrets := strings.Fields(out.String())
		if len(secrets) == 0 || len(secrets[0]) != 64 {
			t.Fatalf("%s: the probe holds no token after a check: %q %q", n.Name(), out.String(), errOut.String())
		}
		_, raw, err := api.ContainerInspectWithRaw(ctx, list[0].ID, false)
		if err != nil {
			t.Fatal(err)
		}
		svc, svcRaw, err := c.Nodes[0].Docker().ServiceInspectWithRaw(ctx, "overlab-probe", swarm.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			if strings.Contains(said, secret) {
				t.Errorf("%s: the probe token appears in overlab's output or results", n.Name())
			}
			if bytes.Contains(raw, []byte(secret)) || bytes.Contains(svcRaw, []byte(secret)) {
				t.Errorf("%s: docker inspect shows the probe token", n.Name())
			}
		}
		if m := svc.Spec.TaskTemplate.ContainerSpec.Mounts; len(m) != 1 || m[0].Type != "tmpfs" || m[0].Target != "/run/overlab" {
			t.Errorf("the probe service's mounts %+v, want the token tmpfs on /run/overlab", m)
		}
	}
}
