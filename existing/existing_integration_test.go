package existing_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/internal/clitest"
	"github.com/overlab/overlab/internal/syncbuf"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/session/sessiontest"
)

// userSwarm is a swarm, networks and a service made by hand with the
// engines' own CLI, as a user makes them: overlab never made any of it.
type userSwarm struct {
	c    *cluster.Cluster
	lab  *labtest.Lab
	inv  string
	node map[string]*cluster.Node
}

// sh runs a shell command on a host, failing the test when it fails.
func (u *userSwarm) sh(t *testing.T, host, command string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := u.node[host].Run(ctx, command)
	if err != nil {
		t.Fatalf("%s$ %s: %v\n%s", host, command, err, out)
	}
	return strings.TrimSpace(string(out))
}

func newUserSwarm(t *testing.T) *userSwarm {
	l := labtest.Up(t, 3)
	s := sessiontest.Open(t, l)
	u := &userSwarm{c: s.Cluster, lab: l, inv: l.Inventory, node: map[string]*cluster.Node{}}
	for _, n := range s.Cluster.Nodes {
		u.node[n.Name()] = n
	}
	t.Cleanup(func() { u.teardown(t) })
	addr := func(h string) string { return u.node[h].Host.Address }
	u.sh(t, "node1", "docker swarm init --advertise-addr "+addr("node1"))
	token := u.sh(t, "node1", "docker swarm join-token -q worker")
	for _, h := range []string{"node2", "node3"} {
		u.sh(t, h, fmt.Sprintf("docker swarm join --advertise-addr %s --token %s %s:2377", addr(h), token, addr("node1")))
	}
	for _, h := range []string{"node1", "node2", "node3"} {
		u.loadImage(t, h)
		u.sh(t, h, "docker network create -d bridge --label owner=user my_bridge")
	}
	u.sh(t, "node1", "docker network create -d overlay backend")
	u.sh(t, "node1", "docker network create -d overlay --attachable front")
	// dnsrr: this kernel has no IPVS. The user's own service, busybox's
	// httpd on 8080, on both overlays.
	u.sh(t, "node1", "docker service create --detach --name api --mode global --endpoint-mode dnsrr --network backend --network front --no-resolve-image user-api:1 busybox httpd -f -p 8080 -h /")
	u.waitRunning(t, "api", 3)
	return u
}

// loadImage imports a busybox image built here: no registry, as on a
// user's offline hosts. It exposes 8080, the port its service listens on.
func (u *userSwarm) loadImage(t *testing.T, host string) {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	_ = tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bb))})
	_, _ = tw.Write(bb)
	_ = tw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := u.node[host].RunInput(ctx, `docker import --change 'ENV PATH=/bin' --change 'EXPOSE 8080' - user-api:1`, &b); err != nil {
		t.Fatalf("%s: docker import: %v\n%s", host, err, out)
	}
}

func (u *userSwarm) waitRunning(t *testing.T, service string, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		out := u.sh(t, "node1", "docker service ps --filter desired-state=running --format '{{.CurrentState}}' "+service)
		if strings.Count(out, "Running") == n {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("service %s: not %d tasks running", service, n)
}

// teardown undoes what the user made, as the user would.
func (u *userSwarm) teardown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, _ = u.node["node1"].Run(ctx, "docker service rm api")
	for _, h := range []string{"node3", "node2", "node1"} {
		_, _ = u.node[h].Run(ctx, "docker swarm leave --force; docker network rm my_bridge")
	}
}

// snapshot is everything of the user's that overlab must not change.
type snapshot struct {
	Networks map[string]string // host/name -> ID, driver, scope, subnet, labels
	Services map[string]string // name -> ID and spec version
	Nodes    map[string]string // ID -> spec version, availability, labels
	Swarm    string            // spec version
	Others   map[string]string // host/container -> ID (the user's containers)
}

func (u *userSwarm) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	s := snapshot{Networks: map[string]string{}, Services: map[string]string{}, Nodes: map[string]string{}, Others: map[string]string{}}
	for h, n := range u.node {
		nets, err := n.Docker().NetworkList(ctx, network.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, nw := range nets {
			s.Networks[h+"/"+nw.Name] = fmt.Sprint(nw.ID, nw.Driver, nw.Scope, nw.IPAM.Config, nw.Labels, nw.Attachable, nw.Internal)
		}
		cs, err := n.Docker().ContainerList(ctx, container.ListOptions{All: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Labels[lab.Label] == "" {
				s.Others[h+"/"+c.ID] = c.State
			}
		}
	}
	mgr := u.node["node1"].Docker()
	svcs, _ := mgr.ServiceList(ctx, swarm.ServiceListOptions{})
	for _, sv := range svcs {
		if sv.Spec.Labels[lab.Label] == "" {
			s.Services[sv.Spec.Name] = fmt.Sprint(sv.ID, sv.Version.Index)
		}
	}
	nodes, _ := mgr.NodeList(ctx, swarm.NodeListOptions{})
	for _, nd := range nodes {
		s.Nodes[nd.ID] = fmt.Sprint(nd.Version.Index, nd.Spec.Availability, nd.Spec.Labels)
	}
	sw, _ := mgr.SwarmInspect(ctx)
	s.Swarm = fmt.Sprint(sw.Version.Index)
	return s
}

// assertNothingOfOverlab: no container or service of overlab's is left.
func (u *userSwarm) assertNothingOfOverlab(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	sel := filters.NewArgs(filters.Arg("label", lab.Label))
	for h, n := range u.node {
		cs, _ := n.Docker().ContainerList(ctx, container.ListOptions{All: true, Filters: sel})
		if len(cs) > 0 {
			t.Errorf("%s: %d containers of overlab left", h, len(cs))
		}
	}
	svcs, _ := u.node["node1"].Docker().ServiceList(ctx, swarm.ServiceListOptions{Filters: sel})
	if len(svcs) > 0 {
		t.Errorf("%d services of overlab left", len(svcs))
	}
}

func readDoc(t *testing.T, path string) *results.Document {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d results.Document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func failedPairs(d *results.Document) []string {
	var out []string
	for _, p := range d.Probes {
		if !p.OK {
			out = append(out, fmt.Sprintf("%s %s→%s %s: %s", p.Network, p.From, p.To, p.Kind, p.Error))
		}
	}
	sort.Strings(out)
	return out
}

// TestCheckTheUsersOwnSwarm: a swarm, two overlays (one not attachable), a
// bridge of one name on every host and a dnsrr service, all made by hand;
// overlab checks them read-only and leaves every one of them as it was.
func TestCheckTheUsersOwnSwarm(t *testing.T) {
	u := newUserSwarm(t)
	before := u.snapshot(t)
	dir := t.TempDir()
	doc := filepath.Join(dir, "doc.json")
	args := []string{"check", "-i", u.inv, "--networks", "backend,front,my_bridge", "--services", "api:8080", "--results", dir, "--json", doc}
	code, stdout, stderr := clitest.Run(t, args...)
	if code != 0 {
		t.Fatalf("check of the user's networks: exit %d\nstdout:\n%s\nstderr:\n%s\nfailed: %s", code, stdout, stderr, strings.Join(failedPairs(readDoc(t, doc)), "\n"))
	}
	d := readDoc(t, doc)
	for _, want := range []string{"backend", "front", "my_bridge"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report does not show %s:\n%s", want, stdout)
		}
	}
	tasks := 0
	for _, p := range d.Probes {
		if strings.HasPrefix(p.To, "api@") {
			tasks++
		}
	}
	if tasks == 0 {
		t.Errorf("no probe reached a task of api by its address:\n%s", stdout)
	}
	u.assertNothingOfOverlab(t)
	if after := u.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Errorf("the user's objects changed:\nbefore %+v\nafter  %+v", before, after)
	}
	t.Run("blocked VXLAN on one host is diagnosed", func(t *testing.T) {
		ctx := context.Background()
		n3 := u.node["node3"]
		if _, err := fault.Inject(ctx, n3, n3.Host.Address, fault.Spec{Kind: fault.Block, Port: 4789, Protos: []string{"udp"}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = fault.Heal(context.Background(), n3) })
		faulty := filepath.Join(dir, "faulty.json")
		code, stdout, _ := clitest.Run(t, "check", "-i", u.inv, "--networks", "backend", "--results", dir, "--json", faulty)
		if code != 1 {
			t.Fatalf("exit %d with 4789/udp blocked on node3, want 1\n%s", code, stdout)
		}
		found := false
		for _, dg := range readDoc(t, faulty).Diagnoses {
			if strings.Contains(strings.Join(dg.Hosts, ","), "node3") && strings.Contains(dg.Cause+dg.Fix, "4789") {
				found = true
			}
		}
		if !found {
			t.Errorf("no diagnosis names node3 and 4789:\n%s", stdout)
		}
		if _, err := fault.Heal(ctx, n3); err != nil {
			t.Fatal(err)
		}
		u.assertNothingOfOverlab(t)
	})
	t.Run("bad input names each problem and checks the rest", func(t *testing.T) {
		code, stdout, stderr := clitest.Run(t, "check", "-i", u.inv, "--networks", "ghost,backend", "--services", "api:9999", "--results", dir)
		if code != 2 {
			t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, stderr)
		}
		for _, want := range []string{`network "ghost" not found`, "service api: nothing says its containers listen on 9999/tcp"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, stderr)
			}
		}
		if !strings.Contains(stdout, "backend") {
			t.Errorf("backend was not checked:\n%s", stdout)
		}
		u.assertNothingOfOverlab(t)
	})
	t.Run("Ctrl-C leaves nothing of overlab's", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, clitest.Binary(t), "check", "-i", u.inv, "--networks", "backend,my_bridge", "--results", dir)
		var out syncbuf.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Interrupted once its first probe service exists in the user's swarm.
		deadline := time.Now().Add(90 * time.Second)
		sel := filters.NewArgs(filters.Arg("label", lab.Label))
		for time.Now().Before(deadline) {
			if svcs, _ := u.node["node1"].Docker().ServiceList(ctx, swarm.ServiceListOptions{Filters: sel}); len(svcs) > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
		said := out.String()
		if !strings.Contains(said, "probes up") || !strings.Contains(said, "interrupted") || cmd.ProcessState.ExitCode() != 2 {
			t.Errorf("not interrupted while its probes started (exit %d):\n%s", cmd.ProcessState.ExitCode(), said)
		}
		u.assertNothingOfOverlab(t)
	})
	if after := u.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Errorf("the user's objects changed after all the checks:\nbefore %+v\nafter  %+v", before, after)
	}
}
