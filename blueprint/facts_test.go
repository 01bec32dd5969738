package blueprint

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/lab"
)

func parse(t *testing.T, doc string) *lab.Lab {
	t.Helper()
	l, err := lab.Parse([]byte(doc), "test")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func builtinOr(t *testing.T, nameOrDoc string) *lab.Lab {
	t.Helper()
	if !strings.Contains(nameOrDoc, "\n") {
		l, err := lab.Get(nameOrDoc)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	return parse(t, nameOrDoc)
}

var threeHosts = ExampleHosts()

func factsWith(present ...feature.Name) *cluster.Facts {
	return &cluster.Facts{Features: cluster.NewFeatures(present...)}
}

func TestCapabilities(t *testing.T) {
	all := []feature.Name{feature.VXLAN, feature.Macvlan, feature.IPVS, feature.ESP, feature.VLAN}
	noIPVS := []feature.Name{feature.VXLAN, feature.Macvlan, feature.ESP, feature.VLAN}
	for _, tc := range []struct {
		name     string
		lab      string
		lacking  map[string][]feature.Name // host -> what it has
		dnsrr    bool
		errs     []string
		findings []string
	}{
		{name: "everything present", lab: "swarm", dnsrr: false},
		{name: "no IPVS: dnsrr and a finding, no error", lab: "swarm",
			lacking: map[string][]feature.Name{"node2": noIPVS}, dnsrr: true, findings: []string{"node2: no IPVS"}},
		{name: "encrypted overlay without ESP is refused", lab: `
name: enc
networks:
  - {name: secret, driver: overlay, encrypted: true}
workloads:
  - {name: p, kind: service, mode: global, networks: [secret]}
`, lacking: map[string][]feature.Name{"node3": {feature.VXLAN, feature.Macvlan, feature.IPVS, feature.VLAN}},
			errs: []string{`network "secret" is encrypted, but node3 have no ESP`}, findings: []string{"node3: no ESP (xfrm) in the kernel"}},
		{name: "ingress ports need IPVS", lab: `
name: ing
networks:
  - {name: o, driver: overlay}
workloads:
  - {name: web, kind: service, mode: global, networks: [o], ports: [{published: 8080, target: 80, mode: ingress}]}
`, lacking: map[string][]feature.Name{"node1": noIPVS, "node2": noIPVS},
			dnsrr: true, errs: []string{`workload "web" publishes 8080 in ingress mode, but node1, node2 have no IPVS`}, findings: []string{"node1, node2: no IPVS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := builtinOr(t, tc.lab)
			facts := map[string]*cluster.Facts{}
			for _, h := range threeHosts {
				facts[h.Name] = factsWith(all...)
				if has, ok := tc.lacking[h.Name]; ok {
					facts[h.Name] = factsWith(has...)
				}
			}
			dnsrr, findings, err := capabilities(l, lackingOn(threeHosts, facts))
			if dnsrr != tc.dnsrr {
				t.Errorf("dnsrr = %v, want %v", dnsrr, tc.dnsrr)
			}
			for _, want := range tc.errs {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v does not say %q", err, want)
				}
			}
			if len(tc.errs) == 0 && err != nil {
				t.Errorf("unexpected error %v", err)
			}
			var said []string
			for _, f := range findings {
				said = append(said, f.Host+": "+f.Message)
			}
			for _, want := range tc.findings {
				if !strings.Contains(strings.Join(said, "\n"), want) {
					t.Errorf("findings %q lack %q", said, want)
				}
			}
			if len(tc.findings) == 0 && len(findings) != 0 {
				t.Errorf("unexpected findings %q", said)
			}
		})
	}
}

func TestPlanInputTakesWhatTheHostsSay(t *testing.T) {
	l := builtinOr(t, "swarm")
	pfx := netip.MustParsePrefix
	facts := map[string]*cluster.Facts{
		"node1": {
			UnderlaySubnet: "192.168.56.0/24", Docker0Subnet: "172.17.0.0/16", GWBridgeSubnet: "172.18.0.0/16",
			Routes: []netip.Prefix{pfx("0.0.0.0/0"), pfx("192.168.56.0/24"), pfx("172.17.0.0/16"), pfx("10.99.0.0/16"), pfx("172.30.0.0/24")},
			Networks: []cluster.NetworkInfo{
				{Name: "bridge", Driver: "bridge", Scope: "local", Subnets: []string{"172.17.0.0/16"}},
				{Name: "ingress", Driver: "overlay", Scope: "swarm", Subnets: []string{"10.0.0.0/24"}},
				{Name: "mine", Driver: "bridge", Scope: "local", Subnets: []string{"172.30.0.0/24"}},
				{Name: "shared", Driver: "overlay", Scope: "swarm", Subnets: []string{"10.50.0.0/24"}},
			},
		},
		"node2": {
			UnderlaySubnet: "192.168.56.0/24",
			Networks:       []cluster.NetworkInfo{{Name: "shared", Driver: "overlay", Scope: "swarm", Subnets: []string{"10.50.0.0/24"}}},
		},
		// node3 said nothing: it keeps what the lab and inventory know.
	}
	in := planInput(l, infos(threeHosts), facts)
	h1 := in.Hosts[0]
	if h1.Underlay != pfx("192.168.56.0/24") || h1.Docker0 != pfx("172.17.0.0/16") || h1.GWBridge != pfx("172.18.0.0/16") {
		t.Errorf("node1 = %+v", h1)
	}
	// The default route, the underlay, docker0 and Docker's own networks are
	// not routes of the host's own; 10.99.0.0/16 is.
	if len(h1.Routes) != 1 || h1.Routes[0] != pfx("10.99.0.0/16") {
		t.Errorf("node1 routes = %v, want only 10.99.0.0/16", h1.Routes)
	}
	if in.Ingress != pfx("10.0.0.0/24") {
		t.Errorf("ingress = %v", in.Ingress)
	}
	want := []addrplan.Existing{
		{Name: "mine", Driver: "bridge", Prefix: pfx("172.30.0.0/24"), Host: "node1"},
		{Name: "shared", Driver: "overlay", Prefix: pfx("10.50.0.0/24")}, // swarm-scoped: once, for every host
	}
	if len(in.Existing) != len(want) {
		t.Fatalf("existing = %+v, want %+v", in.Existing, want)
	}
	for i := range want {
		if in.Existing[i] != want[i] {
			t.Errorf("existing[%d] = %+v, want %+v", i, in.Existing[i], want[i])
		}
	}
	if in.Hosts[2].Underlay.IsValid() {
		t.Errorf("node3 has an underlay %v from nowhere", in.Hosts[2].Underlay)
	}
}

func TestUsedOn(t *testing.T) {
	l := parse(t, `
name: u
networks:
  - {name: ov, driver: overlay}
  - {name: br, driver: bridge}
  - {name: mv, driver: macvlan, scope: swarm, subnet: 192.168.56.0/24}
workloads:
  - {name: a, networks: [ov, br]}
  - {name: b, networks: [br, mv]}
`)
	for _, tc := range []struct {
		name   string
		placed map[string][]string
		want   map[string][]string
	}{
		{"nothing placed", map[string][]string{}, map[string][]string{}},
		{"each host once, in inventory order",
			map[string][]string{"a": {"node3", "node1"}, "b": {"node1", "node2"}},
			map[string][]string{"ov": {"node1", "node3"}, "br": {"node1", "node2", "node3"}, "mv": {"node1", "node2"}}},
	} {
		bp := &Blueprint{Lab: l, Hosts: threeHosts, Placed: tc.placed}
		got := map[string][]string{}
		for _, n := range []string{"ov", "br", "mv"} {
			if on := bp.UsedOn(n); len(on) > 0 {
				got[n] = on
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Docker allows one macvlan network per parent interface on a host: two
// lab networks on one are refused before anything is made.
func TestTwoNetworksOnOneParentAreRefused(t *testing.T) {
	l := parse(t, `
name: p
networks:
  - {name: a, driver: macvlan, subnet: 10.1.0.0/24}
  - {name: b, driver: macvlan, subnet: 10.2.0.0/24, parent: eth0}
  - {name: c, driver: macvlan, subnet: 10.3.0.0/24, parent: eth0, vlan: 7}
workloads:
  - {name: w, networks: [a, b, c], placement: {hosts: [node2]}}
`)
	bp, err := Compile(l, threeHosts)
	if err != nil {
		t.Fatal(err)
	}
	want := `networks "a" and "b" both use parent interface eth0 on node2`
	if err := bp.Err(); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), `"c"`) {
		t.Errorf("Err() = %v, want only %q (c is on eth0.7)", err, want)
	}
}
