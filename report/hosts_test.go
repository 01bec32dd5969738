package report

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/inventory"
)

// fixedHostReports: a manager and a worker of one swarm (the first on a
// kernel like this machine's, the second on a full VM kernel), a host whose
// inventory address is not its own, and a host that is down.
func fixedHostReports() []HostRow {
	hosts := []inventory.Host{
		{Name: "node1", Address: "10.213.0.11", Role: "manager"},
		{Name: "node2", Address: "192.168.56.12", Role: "worker"},
		{Name: "node3", Address: "192.168.56.13", Role: "worker"},
		{Name: "node4", Address: "192.168.56.14", Role: "worker"},
	}
	f1 := &cluster.Facts{
		Name: "node1", Address: "10.213.0.11", Hostname: "node1", OS: "Debian GNU/Linux 12 (bookworm)", Kernel: "6.18.44-fc-v509", Arch: "amd64",
		EngineName: "Docker Engine", EngineVersion: "20.10.24+dfsg1", APIVersion: "1.41",
		SwarmState: "active", SwarmRole: "manager", SwarmNodeID: "n1abc", SwarmClusterID: "q8r2kd0v7c9xw1y2z3",
		Docker0Subnet: "172.17.0.0/16", Docker0Gateway: "172.17.0.1",
		UnderlayIface: "eth0", UnderlayMTU: 1500, UnderlaySubnet: "10.213.0.0/24",
		Addresses: []netip.Prefix{netip.MustParsePrefix("10.213.0.11/24")},
		Networks:  []cluster.NetworkInfo{{Name: "bridge", ID: "b1", Driver: "bridge", Scope: "local", Subnets: []string{"172.17.0.0/16"}}},
		Features: withDetail(cluster.NewFeatures(feature.VXLAN, feature.Macvlan), map[feature.Name]string{
			"vxlan": "CONFIG_VXLAN=y", "macvlan": "CONFIG_MACVLAN=y", "ipvs": "CONFIG_IP_VS is not set",
			"esp": "CONFIG_INET_ESP is not set", "8021q": "CONFIG_VLAN_8021Q is not set",
		}),
	}
	f2 := &cluster.Facts{
		Name: "node2", Address: "192.168.56.12", Hostname: "node2", OS: "Debian GNU/Linux 12 (bookworm)", Kernel: "6.1.0-26-amd64", Arch: "amd64",
		EngineName: "Docker Engine - Community", EngineVersion: "27.3.1", APIVersion: "1.47",
		SwarmState: "active", SwarmRole: "worker", SwarmNodeID: "n2def", SwarmManagers: []string{"10.213.0.11:2377"},
		Docker0Subnet: "172.17.0.0/16", Docker0Gateway: "172.17.0.1", GWBridgeSubnet: "172.18.0.0/16",
		UnderlayIface: "eth1", UnderlayMTU: 1450, UnderlaySubnet: "192.168.56.0/24",
		Features: cluster.NewFeatures(feature.VXLAN, feature.Macvlan, feature.IPVS, feature.ESP, feature.VLAN),
	}
	f3 := &cluster.Facts{
		Name: "node3", Address: "192.168.56.13", Hostname: "node3", OS: "Ubuntu 24.04.1 LTS", Kernel: "6.8.0-45-generic", Arch: "arm64",
		EngineName: "Docker Engine - Community", EngineVersion: "27.3.1", APIVersion: "1.47", SwarmState: "inactive",
		Features: cluster.NewFeatures(feature.VXLAN, feature.Macvlan, feature.IPVS, feature.ESP, feature.VLAN),
		Problems: []string{"address 192.168.56.13 of node3 is on none of its interfaces"},
	}
	facts := map[string]*cluster.Facts{"node1": f1, "node2": f2, "node3": f3}
	errs := map[string]error{"node3": errors.New("address 192.168.56.13 of node3 is on none of its interfaces (it has 10.0.2.15/24 on eth0)")}
	down := map[string]error{"node4": errors.New("connecting to 192.168.56.14:22: dial tcp 192.168.56.14:22: connect: no route to host")}
	return HostRows(hosts, down, facts, errs)
}

func TestHostsGolden(t *testing.T) {
	for _, format := range []string{"table", "json", "yaml"} {
		var b bytes.Buffer
		if err := Hosts(&b, format, fixedHostReports()); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, "hosts."+format+".golden", b.Bytes())
	}
}

func TestHostsReportsMarkDownAndFailedHosts(t *testing.T) {
	r := fixedHostReports()
	if !r[0].SSH || r[0].Error != "" || r[3].SSH || r[3].Error == "" || !r[2].SSH || r[2].Error == "" {
		t.Errorf("reports = %+v", r)
	}
}

func withDetail(f cluster.Features, detail map[feature.Name]string) cluster.Features {
	f.Detail = detail
	return f
}
