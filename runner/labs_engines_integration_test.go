//go:build linux

package runner_test

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/engines"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/results"
)

// The asserts of the labs that differ by engine generation: what each
// claims beyond "every probe as expected", checked on the hosts and in the
// document, for the generation the hosts run.
func init() {
	labAsserts["direct-routing"] = assertDirectRouting
	labAsserts["ipv6"] = assertIPv6
}

// assertDirectRouting: node2 holds the lab's routes while it is up, each
// recorded like a fault; every host's engine is in the document; the row
// of the generation at hand ran and the other's did not.
func assertDirectRouting(t *testing.T, c *cluster.Cluster, doc *results.Document) {
	routes, err := fault.List(context.Background(), c.Node("node2"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range routes {
		if fault.RouteLab(f) == "direct-routing" {
			n++
		}
	}
	gen := engineOf(t, doc, "node1")
	want := 1 // overlab-dr-nat; the gateway-mode networks from 28.0
	if gen.new {
		want = 4
	}
	if n != want {
		t.Errorf("node2 holds %d recorded routes of the lab, want %d: %+v", n, want, routes)
	}
	for _, p := range doc.Probes {
		if p.Engines == "" {
			continue
		}
		if ok, _ := engines.MustRange(p.Engines).AllowsString(gen.version); !ok {
			t.Errorf("probe %s→%s %s of a row for engines %s ran on %s", p.From, p.To, p.Kind, p.Engines, gen.version)
		}
	}
	var direct bool
	for _, p := range doc.Probes {
		if p.From == "overlab-dr-client@node2" && p.Kind == results.KindHTTP && p.Network == "overlab-dr-nat" {
			direct = true
			if p.Reachable == gen.new {
				t.Errorf("a published port at the container's address from node2: reachable %v on %s", p.Reachable, gen.version)
			}
		}
	}
	if !direct {
		t.Error("no probe of the published port at the container's own address")
	}
}

// assertIPv6: IPv6 probes went to ULA addresses of the plan's pool, every
// IPv6 network reports its IPv6 subnet, and the IPv6-only network ran
// exactly where the engine has it.
func assertIPv6(t *testing.T, c *cluster.Cluster, doc *results.Document) {
	pool := netip.MustParsePrefix("fd00:6f6c:6162::/48")
	v6 := 0
	only := 0
	for _, p := range doc.Probes {
		if !p.IPv6() {
			continue
		}
		v6++
		if p.Network == "overlab-v6-only" {
			only++
		}
		if a, err := netip.ParseAddr(p.Target); err == nil && !pool.Contains(a) {
			t.Errorf("IPv6 probe %s→%s targets %s, outside %s", p.From, p.To, a, pool)
		}
	}
	if v6 == 0 {
		t.Fatal("no IPv6 probe in the document")
	}
	for _, n := range doc.Networks {
		if !strings.HasPrefix(n.Name, "overlab-v6-") {
			continue
		}
		if v6only := n.Name == "overlab-v6-only"; v6only != (n.Subnet == "") || !strings.HasPrefix(n.SubnetIPv6, "fd00:6f6c:6162:") {
			t.Errorf("network %s: subnets %q and %q; want an IPv6 one of the pool, and an IPv4 one unless IPv6-only", n.Name, n.Subnet, n.SubnetIPv6)
		}
	}
	if gen := engineOf(t, doc, "node1"); gen.new != (only > 0) {
		t.Errorf("%d IPv6-only probes on %s", only, gen.version)
	}
}

type generation struct {
	version string
	new     bool // 28.0 or later
}

func engineOf(t *testing.T, doc *results.Document, host string) generation {
	t.Helper()
	for _, h := range doc.Hosts {
		if h.Name == host {
			if h.EngineVersion == "" {
				t.Fatalf("%s: no engine version in the document", host)
			}
			ok, _ := engines.MustRange(">= 28.0").AllowsString(h.EngineVersion)
			return generation{h.EngineVersion, ok}
		}
	}
	t.Fatalf("no host %s in the document", host)
	return generation{}
}

// assertRoutesGone: after down no host holds a route of the lab, recorded
// or in its routing table.
func assertRoutesGone(t *testing.T, c *cluster.Cluster, labName string) {
	t.Helper()
	for _, n := range c.Nodes {
		fs, err := fault.List(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if fault.RouteLab(f) == labName {
				t.Errorf("%s: route record left after down: %s", n.Name(), f.What)
			}
		}
	}
}

// rowSkipped says whether the document's findings say that row was not
// probed on these engines, as the lab says.
func rowSkipped(doc *results.Document, row int) bool {
	re := regexp.MustCompile(fmt.Sprintf(`#%d[,:]`, row))
	for _, f := range doc.Findings {
		if strings.Contains(f.Message, "as the lab says") && re.MatchString(f.Message) {
			return true
		}
	}
	return false
}

// engineVersions are the hosts' engine versions, by host name.
func engineVersions(t *testing.T, c *cluster.Cluster) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range c.Nodes {
		v, err := n.Docker().ServerVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out[n.Name()] = v.Version
	}
	return out
}
