package explain

import (
	"os"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"
)

// TestOverlayObjects reads what a real host said (testdata: node1 of a local
// lab with the overlay lab up) and wants the objects a person would find by
// hand: the netns, br0 and its ports, vxlan0 with its VNI, FDB entries
// pointing at the other hosts, the container's veth with its peer, and the
// interface that holds the host's lab address (the addr section is in the
// format of `ip -o -4 addr show`, added to the recording by hand).
func TestOverlayObjects(t *testing.T) {
	raw, err := os.ReadFile("testdata/overlay-node1.txt")
	if err != nil {
		t.Fatal(err)
	}
	g := gatherer{
		nw:    network.Inspect{ID: "iofgd74txcppnonjpquh10fc5", Name: "overlab-ov", Driver: "overlay"},
		ms:    []member{{name: "overlab-ov-box", ip: "10.200.0.16/24", mac: "02:42:0a:c8:00:10", pid: 4227, sandbox: "/run/docker/netns/907e0bc53194"}},
		peers: map[string]string{"10.223.1.11": "node1", "10.223.1.12": "node2", "10.223.1.13": "node3"},
		host:  "node1",
	}
	objs := g.objects(sections(string(raw)))
	want := map[string]string{
		"netns 1-iofgd74txc":    "nsenter --net=/run/docker/netns/1-iofgd74txc ip -d link show",
		"bridge br0":            "ports: vxlan0, veth0, veth5, veth6",
		"vxlan vxlan0":          "VNI 4097, UDP port 4789",
		"fdb 02:42:0a:c8:00:06": "10.223.1.13 (node3)",
		"fdb 02:42:0a:c8:00:0f": "10.223.1.12 (node2)",
		"neigh 10.200.0.15":     "02:42:0a:c8:00:0f",
		"veth eth0":             "veth6 (if35) in netns 1-iofgd74txc, on br0",
		"underlay eth0":         "10.223.1.11/24, MTU 1500: VXLAN packets",
	}
	for key, frag := range want {
		found := false
		for _, o := range objs {
			if o.Kind+" "+o.Name == key && strings.Contains(o.Detail+" "+o.Peer+" "+o.Command, frag) {
				found = true
			}
		}
		if !found {
			t.Errorf("no object %s with %q in %+v", key, frag, objs)
		}
	}
	for _, o := range objs {
		if (o.Kind == "bridge" || o.Kind == "vxlan" || o.Kind == "underlay") && o.MTU == 0 {
			t.Errorf("%s %s has no MTU for the pictures", o.Kind, o.Name)
		}
		if o.Command == "" {
			t.Errorf("%s %s has no command to show it by hand", o.Kind, o.Name)
		}
	}
}

func TestParseLinks(t *testing.T) {
	ls := parseLinks(`34: eth0@if35: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default \    link/ether 02:42:0a:c8:00:10 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0 \    veth addrgenmode eui64
5: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP \    link/ether 02:42:0a:0a:00:05 brd ff:ff:ff:ff:ff:ff link-netnsid 0 \    macvlan mode bridge bcqueuelen 1000`)
	if len(ls) != 2 || ls[0].Peer != 35 || ls[0].Kind != "veth" || ls[0].MTU != 1450 || ls[1].Kind != "macvlan" || ls[1].Mode != "bridge" || ls[1].Peer != 2 {
		t.Errorf("%+v", ls)
	}
}
