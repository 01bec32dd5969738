package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/internal/golden"
)

// threeHosts is the inventory the golden files are made for.
var threeHosts = []HostInfo{
	{Name: "node1", Address: "192.168.56.11", Role: "manager"},
	{Name: "node2", Address: "192.168.56.12", Role: "worker"},
	{Name: "node3", Address: "192.168.56.13", Role: "worker"},
}

func TestBuiltinLabsValidateAndExpand(t *testing.T) {
	names := Names()
	want := []string{"host", "bridge", "user-bridge", "publish", "direct-routing", "none", "overlay", "macvlan", "swarm", "ipv6", "vip", "ingress", "encrypted", "macvlan-vlan", "ipvlan",
		"vxlan-blocked", "gossip-blocked", "mtu-mismatch", "host-cut"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("built-in labs %v, want %v", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			l, err := Get(name)
			if err != nil {
				t.Fatal(err)
			}
			if l.Name != name {
				t.Errorf("lab file %s.yaml is called %q", name, l.Name)
			}
			if strings.TrimSpace(l.Description) == "" {
				t.Error("no description")
			}
			for i, e := range l.Expect {
				if !e.Reachable && e.Note == "" {
					t.Errorf("expect #%d is expected unreachable without a note saying why", i+1)
				}
			}
			checks, err := Expand(l, threeHosts)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			for _, c := range checks {
				b.WriteString(c.String() + "\n")
			}
			golden.Assert(t, filepath.Join("expand", name+".golden"), b.Bytes())
		})
	}
	if len(List()) != len(want) {
		t.Errorf("List() returned %d labs", len(List()))
	}
}

func TestSwarmLabMatrix(t *testing.T) {
	l, err := Get(DefaultLab)
	if err != nil {
		t.Fatal(err)
	}
	checks, err := Expand(l, threeHosts)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ net, kind string }
	count := map[key]int{}
	for _, c := range checks {
		if c.TargetType == TargetWorkload && c.FromHost == c.ToHost {
			t.Errorf("check against the source itself: %s", c)
		}
		if c.TargetType == TargetUnderlay && c.FromHost == c.ToHost && c.Reachable {
			t.Errorf("own host's underlay expected reachable from macvlan: %s", c)
		}
		count[key{c.Network, c.Kind}]++
	}
	// 3 hosts: 6 ordered pairs per kind; macvlan icmp adds 6 (others' underlay) + 3 (own host).
	want := map[key]int{
		{"overlab-overlay", "icmp"}: 6, {"overlab-overlay", "tcp"}: 6, {"overlab-overlay", "udp"}: 6, {"overlab-overlay", "dns"}: 6,
		{"overlab-macvlan", "icmp"}: 6 + 6 + 3, {"overlab-macvlan", "tcp"}: 6, {"overlab-macvlan", "udp"}: 6,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%v: %d checks, want %d", k, count[k], n)
		}
	}
	if len(count) != len(want) {
		t.Errorf("unexpected check kinds: %v", count)
	}
}

func TestFixtures(t *testing.T) {
	cases := map[string][]string{
		"valid-minimal.yaml": nil,
		"valid-full.yaml":    nil,
		// Valid as a file; its address plan is refused (plan_test.go).
		"valid-ingress-collision.yaml": nil,
		"invalid-syntax.yaml": {
			"testdata/invalid-syntax.yaml:2: did not find expected '-' indicator",
		},
		"invalid-unknown-field.yaml": {
			`testdata/invalid-unknown-field.yaml:5: unknown field "subnett" in a network`,
			`testdata/invalid-unknown-field.yaml:10: unknown field "ipv4" in network attachment`,
			`testdata/invalid-unknown-field.yaml:12: unknown field "proto" in a port`,
		},
		"invalid-types.yaml": {
			"testdata/invalid-types.yaml:5: cannot unmarshal !!str `maybe` into bool",
			"testdata/invalid-types.yaml:8: cannot unmarshal !!str `lots` into int",
			`testdata/invalid-types.yaml:10: port "eighty": want PUBLISHED:TARGET[/PROTOCOL] like 5000:80 or a mapping`,
		},
		"invalid-networks.yaml": {
			`testdata/invalid-networks.yaml:1: name: "Bad Name": use lower-case letters, digits, '-', '_' and '.'`,
			`testdata/invalid-networks.yaml:4: network "n1": driver: unknown driver "vxlan" (one of overlay, macvlan, ipvlan, bridge, host, none)`,
			`testdata/invalid-networks.yaml:7: network "n2": subnet: "10.1.0.1/24" has host bits set: did you mean 10.1.0.0/24?`,
			`testdata/invalid-networks.yaml:11: network "n3": gateway: 10.3.0.1 is outside subnet 10.2.0.0/24`,
			`testdata/invalid-networks.yaml:12: network "n3": ip_range: 10.2.1.0/25 is outside subnet 10.2.0.0/24`,
			`testdata/invalid-networks.yaml:13: network "n3": encrypted: only overlay networks can be encrypted (IPsec between hosts)`,
			`testdata/invalid-networks.yaml:14: network "n3": attachable: only swarm-scoped networks (overlay, macvlan with scope: swarm) are attachable; containers attach to local networks anyway`,
			`testdata/invalid-networks.yaml:15: network "n3": name: defined twice`,
			`testdata/invalid-networks.yaml:17: network "n3": scope: an overlay network is always swarm-scoped`,
			`testdata/invalid-networks.yaml:18: network "n3": parent: only macvlan and ipvlan networks have a parent interface`,
			`testdata/invalid-networks.yaml:19: network "bridge": name: "bridge" is Docker's own bridge network: set default: true to use it, or pick another name`,
			`testdata/invalid-networks.yaml:21: network "docker0": name: Docker's own bridge network is called "bridge"`,
			`testdata/invalid-networks.yaml:26: network "mv": ip_range: needs a subnet (the range is carved from it)`,
			`testdata/invalid-networks.yaml:28: network "mv": hosts.node1.ip_range: needs a subnet (the range is carved from it)`,
			`testdata/invalid-networks.yaml:29: network "mv": hosts.node2.ip_range: needs a subnet (the range is carved from it)`,
			`testdata/invalid-networks.yaml:30: network "mv": hosts.self: "self" is only meaningful in an expectation's to.host`,
		},
		"invalid-names.yaml": {
			`testdata/invalid-names.yaml:6: network "mv": parent: "a;id>pw1" is not an interface name: use letters, digits, '_', '.' and '-', starting with a letter or digit (like eth0, ens3 or eth0.100)`,
			`testdata/invalid-names.yaml:8: network "mv": hosts.node2.parent: "eth 1" is not an interface name: use letters, digits, '_', '.' and '-', starting with a letter or digit (like eth0, ens3 or eth0.100)`,
			`testdata/invalid-names.yaml:12: network "mv2": parent: the VLAN sub-interface enp0s31f6-long.100 would be longer than Linux's 15 characters: use a shorter parent name`,
			`testdata/invalid-names.yaml:16: workload "w": image: "nginx;id" is not an image reference (NAME[:TAG][@DIGEST], like nginx:1.27): invalid reference format`,
			`testdata/invalid-names.yaml:19: workload "w": networks[0].aliases: "bad alias" is not a DNS name: each dot-separated part is 1 to 63 letters, digits, '-' or '_', not starting or ending with '-'`,
			`testdata/invalid-names.yaml:22: expect #1: to.name: "x$(id)" is not a DNS name: each dot-separated part is 1 to 63 letters, digits, '-' or '_', not starting or ending with '-'`,
		},
		"invalid-workloads.yaml": {
			`testdata/invalid-workloads.yaml:12: workload "a": kind: "pod": want service or container`,
			`testdata/invalid-workloads.yaml:13: workload "a": networks[0]: unknown network "nowhere" (the lab defines: br, ov, host, bridge)`,
			`testdata/invalid-workloads.yaml:17: workload "b": replicas: a global service runs one task per host; replicas needs mode: replicated`,
			`testdata/invalid-workloads.yaml:19: workload "b": networks[0]: a service can only attach to swarm-scoped networks; "br" is a local bridge network (use a container workload, an overlay, or macvlan with scope: swarm)`,
			`testdata/invalid-workloads.yaml:20: workload "b": networks[0].ip: services cannot have static addresses; use a container workload`,
			`testdata/invalid-workloads.yaml:24: workload "c": networks[0].ip: 10.99.0.5 is outside network "br"'s subnet 10.20.0.0/24`,
			`testdata/invalid-workloads.yaml:22: workload "c": networks: a workload on the host network cannot join other networks`,
			`testdata/invalid-workloads.yaml:27: workload "c": ports[0].published: 0 is not a port (1-65535)`,
			`testdata/invalid-workloads.yaml:27: workload "c": ports[0].target: 70000 is not a port (1-65535)`,
			`testdata/invalid-workloads.yaml:27: workload "c": ports[0].protocol: "sctp": want tcp or udp`,
			`testdata/invalid-workloads.yaml:27: workload "c": ports[0].mode: ingress publishing (the routing mesh) is for services; a container publishes on its own host`,
			`testdata/invalid-workloads.yaml:27: workload "c": ports[0].bind: "anywhere": want lab (the host's lab address, the default) or all (every address of the host)`,
			`testdata/invalid-workloads.yaml:27: workload "c": ports[0]: ports cannot be published from the host network (on host the container already uses the host's ports)`,
			`testdata/invalid-workloads.yaml:33: workload "d": mode: only services have a mode; a container workload runs one container on each host it is placed on`,
			`testdata/invalid-workloads.yaml:31: workload "d": networks[0].ip: static addresses work on user-defined networks only, not on Docker's "bridge"`,
			`testdata/invalid-workloads.yaml:32: workload "d": networks[0].aliases: network-scoped aliases exist only on user-defined networks (Docker's embedded DNS), not on "bridge"`,
			`testdata/invalid-workloads.yaml:35: workload "d": placement.hosts: "$0": a positional host reference is $1, $2, ... (the inventory's hosts in order)`,
			`testdata/invalid-workloads.yaml:36: workload "d": placement.roles: "boss": want manager or worker`,
			`testdata/invalid-workloads.yaml:37: workload "a": name: defined twice`,
			`testdata/invalid-workloads.yaml:38: workload "a": networks: required: name at least one network (bridge for docker0, host, none, or a lab network)`,
		},
		"invalid-expect.yaml": {
			`testdata/invalid-expect.yaml:11: expect #1: from.workload: unknown workload "ghost" (the lab defines: p, r, c)`,
			`testdata/invalid-expect.yaml:17: expect #2: kinds: unknown kind "ping" (one of icmp, tcp, udp, dns, http)`,
			`testdata/invalid-expect.yaml:15: expect #2: network: required here: the source "p" is on ov, ov2 and the target "p" on ov, ov2; say which network this row is about`,
			`testdata/invalid-expect.yaml:19: expect #3: from.workload: "r" is a replicated service: its tasks have no fixed host to probe from (use mode: global or a container workload)`,
			`testdata/invalid-expect.yaml:19: expect #3: from.host: "self" is only meaningful in to.host; from.host is empty (every host), all, or a host`,
			`testdata/invalid-expect.yaml:20: expect #3: to.address: "not-an-ip" is not an IP address (use name: for a DNS name)`,
			`testdata/invalid-expect.yaml:20: expect #3: to.host: only a workload or underlay target has hosts`,
			`testdata/invalid-expect.yaml:21: expect #3: kinds: dns resolves a name: the target must be a workload or a name`,
			`testdata/invalid-expect.yaml:23: expect #4: reachable: required: say true or false, so that the row states what it teaches`,
			`testdata/invalid-expect.yaml:24: expect #4: to: set exactly one of workload, address, name or underlay`,
			`testdata/invalid-expect.yaml:29: expect #5: kinds: "icmp" listed twice`,
			`testdata/invalid-expect.yaml:27: expect #5: to.port: only tcp, udp and http probes use a port`,
			`testdata/invalid-expect.yaml:28: expect #5: network: workload "c" is not on network "ov": from outside a network a row can only expect unreachable (isolation)`,
			`testdata/invalid-expect.yaml:31: expect #6: kinds: required: one or more of icmp, tcp, udp, dns, http`,
			`testdata/invalid-expect.yaml:33: expect #6: network: unknown network "nowhere" (the lab defines: ov, ov2, bridge)`,
		},
	}
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := cases[filepath.Base(f)]; !ok {
			t.Errorf("fixture %s has no case in the table", f)
		}
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata", file)
			l, err := Load(path)
			if strings.HasPrefix(file, "valid-") {
				if err != nil {
					t.Fatalf("valid fixture: %v", err)
				}
				if _, err := Expand(l, threeHosts); err != nil {
					t.Fatalf("valid fixture does not expand: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid fixture loaded without error")
			}
			var le *Error
			if !asError(err, &le) {
				t.Fatalf("error %T is not a *lab.Error: %v", err, err)
			}
			got := le.Lines()
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

func TestExpandPlaceholders(t *testing.T) {
	src := `
name: ph
networks:
  - {name: ov, driver: overlay}
workloads:
  - {name: g, kind: service, networks: [ov]}
  - {name: one, networks: [ov], placement: {hosts: ["$2"]}}
  - {name: mgr, kind: service, networks: [ov], placement: {roles: [manager]}}
  - {name: rep, kind: service, replicas: 2, networks: [ov]}
expect:
  - {from: {workload: g}, to: {workload: g}, kind: icmp, reachable: true}
  - {from: {workload: g}, to: {workload: one}, kind: icmp, reachable: true}
  - {from: {workload: g}, to: {workload: one, host: self}, kind: icmp, reachable: true}
  - {from: {workload: g, host: node3}, to: {workload: g, host: all}, kind: icmp, reachable: true}
  - {from: {workload: one}, to: {underlay: true}, kind: icmp, reachable: true}
  - {from: {workload: g}, to: {underlay: true, workload: mgr}, kind: icmp, reachable: true}
  - {from: {workload: one}, to: {workload: rep}, kind: tcp, reachable: true}
  - {from: {workload: one}, to: {workload: g, host: $1}, kind: udp, reachable: true}
  - {from: {workload: one}, to: {name: g, port: 53}, kind: tcp, reachable: true}
`
	l, err := Parse([]byte(src), "ph.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks, err := Expand(l, threeHosts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int][]string{}
	for _, c := range checks {
		got[c.Row] = append(got[c.Row], c.String())
	}
	want := map[int][]string{
		1: { // the full matrix, never a container to itself
			"#1 ov icmp g@node1 -> g@node2 reachable", "#1 ov icmp g@node1 -> g@node3 reachable",
			"#1 ov icmp g@node2 -> g@node1 reachable", "#1 ov icmp g@node2 -> g@node3 reachable",
			"#1 ov icmp g@node3 -> g@node1 reachable", "#1 ov icmp g@node3 -> g@node2 reachable",
		},
		2: { // another workload: its container on the source's own host too
			"#2 ov icmp g@node1 -> one@node2 reachable", "#2 ov icmp g@node2 -> one@node2 reachable", "#2 ov icmp g@node3 -> one@node2 reachable",
		},
		3: {"#3 ov icmp g@node2 -> one@node2 reachable"}, // self: only where both run
		4: {"#4 ov icmp g@node3 -> g@node1 reachable", "#4 ov icmp g@node3 -> g@node2 reachable", "#4 ov icmp g@node3 -> g@node3 reachable"},
		5: {"#5 ov icmp one@node2 -> underlay(node1)=192.168.56.11 reachable", "#5 ov icmp one@node2 -> underlay(node3)=192.168.56.13 reachable"},
		6: {"#6 ov icmp g@node2 -> underlay(node1)=192.168.56.11 reachable", "#6 ov icmp g@node3 -> underlay(node1)=192.168.56.11 reachable"},
		7: {"#7 ov tcp one@node2 -> rep@any reachable"},
		8: {"#8 ov udp one@node2 -> g@node1 reachable"},
		9: {"#9 ov tcp one@node2 -> name=g:53 reachable"},
	}
	for row, w := range want {
		if strings.Join(got[row], "\n") != strings.Join(w, "\n") {
			t.Errorf("row %d:\n--- got\n%s\n--- want\n%s", row, strings.Join(got[row], "\n"), strings.Join(w, "\n"))
		}
	}
	for _, c := range checks {
		if c.Line == 0 {
			t.Errorf("check without a line: %s", c)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	src := `name: e
networks:
  - {name: ov, driver: overlay}
  - {name: mv, driver: macvlan, subnet: 192.168.56.0/24, hosts: {node9: {parent: eth1}}}
workloads:
  - {name: a, kind: service, networks: [ov], placement: {hosts: ["$7"]}}
  - {name: b, networks: [ov], placement: {hosts: [node1]}}
  - {name: c, networks: [{network: mv, ip: 192.168.56.200}]}
expect:
  - {from: {workload: b, host: node2}, to: {workload: b}, kind: icmp, reachable: true}
  - {from: {workload: b}, to: {workload: b, host: node3}, kind: icmp, reachable: true}
  - {from: {workload: b}, to: {workload: b}, kind: icmp, reachable: true}
`
	l, err := Parse([]byte(src), "e.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Expand(l, threeHosts)
	want := []string{
		`e.yaml:6: workload "a": placement: placement.hosts: $7: the inventory has only 3 host(s)`,
		`e.yaml:8: workload "c": networks[0].ip: one static address 192.168.56.200 for containers on 3 hosts of the multi-host network "mv": place the workload on one host`,
		`e.yaml:4: network "mv": hosts.node9: no host "node9" in the inventory (hosts: node1, node2, node3)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}

	l.Workloads = l.Workloads[1:2]
	l.Networks[1].Hosts = nil
	_, err = Expand(l, threeHosts)
	want = []string{
		`e.yaml:10: expect #1: from.host: workload "b" does not run on node2 (it runs on node1)`,
		`e.yaml:11: expect #2: to: workload "b" is not on host node3 (only on node1)`,
		`e.yaml:12: expect #3: yields no check on this inventory (hosts: node1, node2, node3): from b on node1, the target selects nothing`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestResolve(t *testing.T) {
	if l, err := Resolve("swarm"); err != nil || l.Source != "builtin:swarm" {
		t.Errorf("Resolve(swarm) = %v, %v", l, err)
	}
	if l, err := Resolve("testdata/valid-minimal.yaml"); err != nil || l.Name != "minimal" {
		t.Errorf("Resolve(file) = %v, %v", l, err)
	}
	if _, err := Resolve("nosuchlab"); err == nil || !strings.Contains(err.Error(), "built-in labs: host, bridge") {
		t.Errorf("Resolve(nosuchlab) error %v", err)
	}
	if _, err := Resolve("missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Resolve(missing.yaml) error %v", err)
	}
}

func TestDecodeShorthands(t *testing.T) {
	l, err := Parse([]byte(`name: s
networks: [{name: br, driver: bridge}]
workloads:
  - {name: w, networks: [br], ports: ["5000:80", "53:53/udp"]}
expect:
  - {from: {workload: w}, to: {address: 127.0.0.1}, kind: icmp, kinds: [tcp], reachable: true}
`), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := l.Workloads[0]
	if w.Networks[0].Network != "br" || w.Kind != KindContainer {
		t.Errorf("workload %+v", w)
	}
	if w.Ports[0] != (Port{5000, 80, "tcp", PortModeHost, BindLab}) || w.Ports[1] != (Port{53, 53, "udp", PortModeHost, BindLab}) {
		t.Errorf("ports %+v", w.Ports)
	}
	if got := strings.Join(l.Expect[0].Kinds, ","); got != "icmp,tcp" || l.Expect[0].Kind != "" {
		t.Errorf("kinds %q, kind %q", got, l.Expect[0].Kind)
	}
	if _, err := Parse([]byte("name: a\n---\nname: b\n"), "two.yaml"); err == nil || !strings.Contains(err.Error(), "two.yaml:2: more than one YAML document") {
		t.Errorf("two documents: %v", err)
	}
	if _, err := Parse([]byte(""), "empty.yaml"); err == nil || err.Error() != "empty.yaml: empty lab file" {
		t.Errorf("empty: %v", err)
	}
}

// A container's published port binds the lab address unless the lab says
// all; a service's port listens everywhere, so the lab must say so.
func TestPortBind(t *testing.T) {
	doc := func(kind, bind string) string {
		return "name: b\nnetworks: [{name: ov, driver: overlay}]\nworkloads:\n  - {name: w, kind: " + kind + ", networks: [ov], ports: [{published: 80, target: 80" + bind + "}]}\n"
	}
	l, err := Parse([]byte(doc("container", "")), "b.yaml")
	if err != nil || l.Workloads[0].Ports[0].Bind != BindLab {
		t.Errorf("a container's port: %v %+v, want bind lab", err, l)
	}
	if l, err := Parse([]byte(doc("service", ", bind: all")), "b.yaml"); err != nil || l.Workloads[0].Ports[0].Bind != BindAll {
		t.Errorf("a service's port with bind all: %v", err)
	}
	_, err = Parse([]byte(doc("service", "")), "b.yaml")
	if err == nil || !strings.Contains(err.Error(), "b.yaml:4: workload \"w\": ports[0].bind: a service's published port listens on every address") {
		t.Errorf("a service's port without bind: %v", err)
	}
	_, err = Parse([]byte(doc("service", ", bind: lab")), "b.yaml")
	if err == nil || !strings.Contains(err.Error(), "write bind: all") {
		t.Errorf("a service's port with bind lab: %v", err)
	}
}

// Counts are capped with a clear error: a typo (an extra zero) must not
// make up create a thousand tasks or check a million probes.
func TestCountsAreCapped(t *testing.T) {
	_, err := Parse([]byte("name: r\nnetworks: [{name: ov, driver: overlay}]\nworkloads:\n  - {name: w, kind: service, replicas: 1000, networks: [ov]}\n"), "r.yaml")
	if err == nil || !strings.Contains(err.Error(), `r.yaml:4: workload "w": replicas: 1000: a replicated service has 1 to 100 replicas`) {
		t.Errorf("1000 replicas: %v", err)
	}
	var doc strings.Builder
	doc.WriteString("name: x\nnetworks: [{name: br, driver: bridge}]\nworkloads: [{name: w, networks: [br]}]\nexpect:\n")
	for range 20 {
		doc.WriteString("  - {from: {workload: w}, to: {workload: w}, kinds: [icmp, tcp, udp, dns, http], reachable: true}\n")
	}
	l, err := Parse([]byte(doc.String()), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hosts []HostInfo
	for i := range 64 {
		hosts = append(hosts, HostInfo{Name: fmt.Sprintf("h%d", i), Address: fmt.Sprintf("10.0.0.%d", i+1)})
	}
	if _, err := Expand(l, hosts); err == nil || !strings.Contains(err.Error(), "more than 100000 checks on these 64 hosts") {
		t.Errorf("20 rows of 64 x 63 x 5 probes: %v", err)
	}
	doc.Reset()
	doc.WriteString("name: y\nnetworks: [{name: br, driver: bridge}]\nworkloads: [{name: w, networks: [{network: br, aliases: [")
	for i := range 40 {
		fmt.Fprintf(&doc, "a%d, ", i)
	}
	doc.WriteString("z]}]}]\n")
	if _, err := Parse([]byte(doc.String()), "y.yaml"); err == nil || !strings.Contains(err.Error(), "41 aliases: an attachment has at most 32") {
		t.Errorf("41 aliases: %v", err)
	}
}

// Small files that once stalled the decoder are refused at once, each with
// its reason (scripts/hostile-fixtures.py writes them). The time is logged,
// not asserted.
func TestHostileFilesAreRefused(t *testing.T) {
	for file, want := range map[string]string{
		"attachment-aliases.yaml": "attachment-aliases.yaml:7: the document expands to more than 100000 YAML nodes",
		"billion-laughs.yaml":     "expands to more than 100000 YAML nodes",
		"deep.yaml":               "deep.yaml:2: nested deeper than 64 levels",
	} {
		start := time.Now()
		_, err := Load(filepath.Join("testdata", "hostile", file))
		t.Logf("%s refused in %v", file, time.Since(start).Round(time.Microsecond))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", file, err, want)
		}
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, append([]byte("name: big\n"), bytes.Repeat([]byte("# padding\n"), 110_000)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Errorf("a file over the size limit: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	builtins, _ := filepath.Glob("builtin/*.yaml")
	hostile, _ := filepath.Glob("testdata/hostile/*.yaml")
	files = append(files, hostile...)
	for _, p := range append(files, builtins...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// A lab that validates must expand or fail cleanly, never panic.
		_, _ = Expand(l, threeHosts)
	})
}

func TestYAMLRoundTrip(t *testing.T) {
	for _, l := range List() {
		data, err := yaml.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(data, "roundtrip.yaml")
		if err != nil {
			t.Fatalf("%s: shown YAML does not load back: %v\n%s", l.Name, err, data)
		}
		back.pos, back.Source = l.pos, l.Source
		if !reflect.DeepEqual(back, l) {
			t.Errorf("%s: round trip changed the lab\n%s", l.Name, data)
		}
	}
}

func TestDNSName(t *testing.T) {
	l := &Lab{Workloads: []Workload{
		{Name: "svc", Kind: KindService, Networks: []Attachment{{Network: "a"}}},
		{Name: "both", Kind: KindService, Networks: []Attachment{{Network: "a"}, {Network: "b"}}},
		{Name: "c", Kind: KindContainer, Networks: []Attachment{{Network: "a"}, {Network: "b"}}},
	}}
	for _, tc := range []struct{ workload, network, want string }{
		{"svc", "a", "tasks.svc"},
		{"both", "b", "tasks.both.b"},
		{"c", "a", "c.a"},
		{"unknown", "a", "unknown"},
	} {
		if got := l.DNSName(tc.workload, tc.network); got != tc.want {
			t.Errorf("DNSName(%s, %s) = %s, want %s", tc.workload, tc.network, got, tc.want)
		}
	}
}
