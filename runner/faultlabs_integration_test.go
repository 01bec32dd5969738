//go:build linux

package runner_test

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/hostcmd"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/report/graph"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runner"
)

// The fault labs run in TestBuiltinLabs like every built-in lab (up, a
// check with every probe as the lab expects, down); this is what they
// claim beyond that.
func init() {
	for _, name := range []string{"vxlan-blocked", "gossip-blocked", "mtu-mismatch", "host-cut"} {
		labAsserts[name] = assertFaultLab
	}
}

// assertFaultLab: the faults were made and healed, the check made the
// diagnoses the lab expects and no other, the faults broke probes (the lab
// teaches something), and no fault is left on any host.
func assertFaultLab(t *testing.T, c *cluster.Cluster, doc *results.Document) {
	t.Helper()
	fr := doc.Faults
	if fr == nil || len(fr.Faults) == 0 {
		t.Fatal("no faults in the document")
	}
	for _, f := range fr.Faults {
		t.Logf("fault %s: %s (healed %v)", f.Host, f.What, f.Healed)
		if f.Error != "" || !f.Healed {
			t.Errorf("fault on %s: error %q, healed %v (%s)", f.Host, f.Error, f.Healed, f.HealError)
		}
	}
	for _, d := range fr.Diagnoses {
		t.Logf("expected diagnosis %s %v: found %v: %s", d.Pattern, d.Hosts, d.Found, d.Got)
		if !d.Found {
			t.Errorf("diagnosis %s %v not made: %s", d.Pattern, d.Hosts, d.Got)
		}
	}
	for _, u := range fr.Unexpected {
		t.Errorf("diagnosis the lab does not expect: %s", u)
	}
	broken := 0
	for _, p := range doc.Probes {
		if p.OK && p.Broken() {
			broken++
		}
	}
	if broken == 0 {
		t.Error("the faults broke no probe")
	}
	assertNoFaultLeft(t, c)
}

// assertNoFaultLeft reads every host as root: no OVERLAB-FAULT chain and no
// rule of it, no overlab nft table, no fault record, the lab interface's
// MTU back to the local hosts' 1500.
func assertNoFaultLeft(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	for _, n := range c.Nodes {
		li, err := fault.Probe(context.Background(), n, n.Host.Address)
		if err != nil {
			t.Fatal(err)
		}
		out, err := hostcmd.RunRoot(context.Background(), n, `iptables -w 5 -S | grep -c `+fault.Chain+` || true
if command -v nft >/dev/null; then nft list tables | grep -c overlab || true; else echo 0; fi
ls `+fault.RecordPath+` 2>/dev/null | wc -l`)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(out); strings.Join(got, " ") != "0 0 0" || li.MTU != 1500 {
			t.Errorf("%s after the lab: %q chain rules, nft tables, records; %s MTU %d; want none and 1500", n.Name(), got, li.Iface, li.MTU)
		}
	}
}

// TestFaultLabPictures runs vxlan-blocked on 3 real hosts and checks the
// pictures of its Linux view against what the hosts themselves say, read
// with ip -d link through nsenter (not through overlab): on every host the
// overlay's namespace with br0 and the vxlan device with the network's
// VXLAN ID, each probe container's overlay interface and the veth at its
// other end (by index and name, in that namespace), its macvlan child and
// the parent; the tunnels broken exactly to and from node3; DOT that
// graphviz reads; Mermaid with the same boxes. Then user-bridge: its Linux
// bridge br-<ID> and the veths that are its ports.
func TestFaultLabPictures(t *testing.T) {
	l := labtest.Up(t, 3)
	c, hosts := connect(t, l)
	r := runner.New(runner.WithProbeBinary(labtest.ProbeBinary(t)), runner.WithWait(90*time.Second),
		// As overlab down on local hosts: moby#47859 on 20.10 and 26.1.
		runner.WithEngineRestarter(local.New().Restarter(l.Lab)))
	lb, err := lab.Get("vxlan-blocked")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Up(ctx, c, hosts, lb); err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() { _, _ = r.Down(context.Background(), c, lb, false) })
	doc, err := r.Check(ctx, c, hosts, lb)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if len(doc.Explain) != 2 {
		t.Fatalf("%d Linux views, want the overlay's and the macvlan's", len(doc.Explain))
	}
	for _, v := range doc.Explain {
		g := report.ExplainGraph(v, doc)
		pics := map[string]string{}
		for _, f := range graph.Formats {
			var b bytes.Buffer
			if err := graph.Write(&b, g, f); err != nil {
				t.Fatal(err)
			}
			pics[f] = b.String()
		}
		dotParses(t, pics["dot"])
		for i := range hosts {
			verifyHost(t, l, i+1, v, pics)
		}
		if v.Driver == "overlay" {
			verifyTunnels(t, pics["svg"])
		}
	}
	if _, err := r.Down(ctx, c, lb, false); err != nil {
		t.Fatalf("down: %v", err)
	}
	verifyBridgePictures(t, l, r, c, hosts)
}

// verifyBridgePictures runs user-bridge and checks the picture of its
// bridge network on node1 against the host: the Linux bridge br-<ID> of the
// network, and each container's veth at its other end, a port of it.
func verifyBridgePictures(t *testing.T, l *labtest.Lab, r *runner.Runner, c *cluster.Cluster, hosts []inventory.Host) {
	t.Helper()
	ub, err := lab.Get("user-bridge")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Up(ctx, c, hosts, ub); err != nil {
		t.Fatalf("up user-bridge: %v", err)
	}
	t.Cleanup(func() { _, _ = r.Down(context.Background(), c, ub, false) })
	doc, err := r.Check(ctx, c, hosts, ub)
	if err != nil {
		t.Fatalf("check user-bridge: %v", err)
	}
	for _, v := range doc.Explain {
		if v.Network != "overlab-my-bridge" {
			continue
		}
		var svg bytes.Buffer
		if err := graph.WriteSVG(&svg, report.ExplainGraph(v, doc)); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(l.MustRun(t, 1, "docker network inspect -f '{{.Id}}' overlab-my-bridge"))
		br := "br-" + id[:12]
		_, byName := links(l.MustRun(t, 1, "ip -o -d link show"))
		if byName[br] == "" || !strings.Contains(svg.String(), `data-node="node1/bridge/`+br+`"`) {
			t.Errorf("bridge %s: the host has %q; the picture has it: %v", br, byName[br], strings.Contains(svg.String(), br))
		}
		ports := 0
		for name, line := range byName {
			if strings.Contains(line, " master "+br+" ") {
				ports++
				if !strings.Contains(svg.String(), `data-edge="node1/peer/`+name+`>node1/bridge/`+br+`"`) {
					t.Errorf("the picture lacks %s, a port of %s", name, br)
				}
			}
		}
		if ports == 0 {
			t.Errorf("%s has no port on node1", br)
		}
		return
	}
	t.Errorf("no Linux view of overlab-my-bridge in %d views", len(doc.Explain))
}

func dotParses(t *testing.T, dot string) {
	t.Helper()
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("dot -Tsvg: %v\n%s", err, out)
	}
}

var linkLine = regexp.MustCompile(`^(\d+): ([^:@]+)(?:@if(\d+))?:`)

// links reads `ip -o -d link show` as index → name and name → line.
func links(out string) (byIndex map[string]string, byName map[string]string) {
	byIndex, byName = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if m := linkLine.FindStringSubmatch(line); m != nil {
			byIndex[m[1]], byName[m[2]] = m[2], line
		}
	}
	return byIndex, byName
}

// verifyHost reads host i's namespaces and wants the pictures to show them.
func verifyHost(t *testing.T, l *labtest.Lab, i int, v explain.View, pics map[string]string) {
	t.Helper()
	host := "node" + string(rune('0'+i))
	want := func(what, frag string) {
		t.Helper()
		for _, f := range graph.Formats {
			if f != "svg" && strings.HasPrefix(frag, "data-") {
				continue
			}
			if !strings.Contains(pics[f], frag) {
				t.Errorf("%s %s: the %s picture lacks %s (%q)", host, v.Network, f, what, frag)
			}
		}
	}
	hostLinks, _ := links(l.MustRun(t, i, "ip -o -d link show"))
	var ns string
	nsLinks := map[string]string{}
	if v.Driver == "overlay" {
		id := strings.TrimSpace(l.MustRun(t, i, "docker network inspect -f '{{.Id}}' "+v.Network))
		ns = "1-" + id[:10]
		byIdx, byName := links(l.MustRun(t, i, "nsenter --net=/var/run/docker/netns/"+ns+" ip -o -d link show"))
		nsLinks = byIdx
		vni := regexp.MustCompile(`vxlan id (\d+) `).FindStringSubmatch(byName["vxlan0"])
		if vni == nil || vni[1] != v.VNI || byName["br0"] == "" {
			t.Errorf("%s: in netns %s vxlan0 %q, br0 %q; explain says VXLAN ID %s", host, ns, byName["vxlan0"], byName["br0"], v.VNI)
		}
		want("the namespace", "netns "+ns)
		want("br0", `data-node="`+host+`/bridge/br0"`)
		want("the VXLAN ID", "VXLAN ID "+v.VNI)
	}
	subnet := strings.TrimSuffix(v.Subnet, ".0/24")
	for _, name := range strings.Fields(l.MustRun(t, i, "docker ps --format '{{.Names}}' --filter label=com.docker.swarm.service.name=overlab-vxb-probe")) {
		pid := strings.TrimSpace(l.MustRun(t, i, "docker inspect -f '{{.State.Pid}}' "+name))
		iface := strings.Fields(l.MustRun(t, i, "nsenter -t "+pid+" -n ip -o -4 addr show | grep ' inet "+subnet+".' | awk '{print $2}'"))
		if len(iface) != 1 {
			t.Errorf("%s: container %s has %q in %s", host, name, iface, v.Subnet)
			continue
		}
		_, mine := links(l.MustRun(t, i, "nsenter -t "+pid+" -n ip -o -d link show"))
		m := linkLine.FindStringSubmatch(mine[iface[0]])
		if m == nil || m[3] == "" {
			t.Errorf("%s: %s's %s has no peer: %q", host, name, iface[0], mine[iface[0]])
			continue
		}
		cid := host + "/container/" + name
		want("the container", `data-node="`+cid+`"`)
		if v.Driver == "overlay" {
			peer := nsLinks[m[3]]
			want("the veth's other end", `data-node="`+host+`/peer/`+peer+`"`)
			want("the veth pair", `data-edge="`+cid+`>`+host+`/peer/`+peer+`"`)
			want("the veth's name", peer)
		} else {
			parent := hostLinks[m[3]]
			want("the macvlan parent", `data-edge="`+cid+`>`+host+`/underlay/`+parent+`"`)
		}
	}
}

// verifyTunnels: with node3's 4789/udp blocked, the tunnels to node3 are
// drawn broken and the one between node1 and node2 is not.
func verifyTunnels(t *testing.T, svg string) {
	t.Helper()
	edge := regexp.MustCompile(`<g data-edge="(node\d)/underlay/[^>]*>(node\d)/underlay/[^"]*" data-kind="tunnel" data-state="(\w+)"`)
	seen := 0
	for _, m := range edge.FindAllStringSubmatch(svg, -1) {
		seen++
		broken := m[1] == "node3" || m[2] == "node3"
		if (m[3] == "fail") != broken {
			t.Errorf("tunnel %s–%s drawn %s", m[1], m[2], m[3])
		}
	}
	if seen != 3 {
		t.Errorf("%d tunnels drawn, want 3 (every pair of hosts)", seen)
	}
}
