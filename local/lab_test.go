//go:build linux

package local

import (
	"net/netip"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := Lab{Name: "overlab", Hosts: 3, Subnet: DefaultSubnet}
	tests := []struct {
		name string
		mod  func(*Lab)
		want string // fragment of the error; empty for valid
	}{
		{"default", func(*Lab) {}, ""},
		{"many hosts", func(l *Lab) { l.Hosts = 64 }, ""},
		{"bad name", func(l *Lab) { l.Name = "My Lab" }, "lower-case"},
		{"long name", func(l *Lab) { l.Name = strings.Repeat("a", 32) }, "1-31"},
		{"zero hosts", func(l *Lab) { l.Hosts = 0 }, "1 to 64"},
		{"ipv6", func(l *Lab) { l.Subnet = netip.MustParsePrefix("fd00::/64") }, "IPv4"},
		{"not network address", func(l *Lab) { l.Subnet = netip.MustParsePrefix("192.168.56.7/24") }, "did you mean 192.168.56.0/24"},
		{"too small", func(l *Lab) { l.Subnet = netip.MustParsePrefix("192.168.56.0/28"); l.Hosts = 5 }, "too small"},
		{"engine log level", func(l *Lab) { l.EngineLogLevel = "debug" }, ""},
		{"bad engine log level", func(l *Lab) { l.EngineLogLevel = "verbose" }, `--engine-log-level "verbose": use one of debug, info, warn, error, fatal`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ok
			tt.mod(&l)
			err := l.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestNamesAndAddresses(t *testing.T) {
	l := Lab{Name: "overlab", Hosts: 3, Subnet: DefaultSubnet, StateRoot: "/var/lib/overlab/local"}
	if got := l.HostAddr(1).String(); got != "192.168.56.11" {
		t.Errorf("HostAddr(1) = %s", got)
	}
	if got := l.HostAddr(3).String(); got != "192.168.56.13" {
		t.Errorf("HostAddr(3) = %s", got)
	}
	if got := l.BridgeAddr().String(); got != "192.168.56.1" {
		t.Errorf("BridgeAddr = %s", got)
	}
	wide := Lab{Name: "x", Hosts: 300, Subnet: netip.MustParsePrefix("10.1.0.0/16")}
	if got := wide.HostAddr(250).String(); got != "10.1.1.4" {
		t.Errorf("HostAddr(250) in a /16 = %s, want 10.1.1.4 (carry into the third byte)", got)
	}
	if got := l.Netns(2); got != "overlab-node2" {
		t.Errorf("Netns(2) = %s", got)
	}
	for _, name := range []string{l.Bridge(), l.HostVeth(64)} {
		if len(name) > 15 {
			t.Errorf("interface name %q longer than IFNAMSIZ-1", name)
		}
	}
	other := Lab{Name: "overlab2"}
	if l.Bridge() == other.Bridge() {
		t.Errorf("two labs share bridge name %s", l.Bridge())
	}
	re := l.NetnsRE()
	for name, want := range map[string]bool{"overlab-node1": true, "overlab-node12": true, "overlab-node1-node1": false, "overlab2-node1": false, "xoverlab-node1": false} {
		if re.MatchString(name) != want {
			t.Errorf("NetnsRE(%q) = %v, want %v", name, !want, want)
		}
	}
	if got := l.InventoryPath(); got != "/var/lib/overlab/local/overlab/inventory.yaml" {
		t.Errorf("InventoryPath = %s", got)
	}
}

func TestHostScriptAndDaemonConfig(t *testing.T) {
	l := Lab{Name: "demo", Hosts: 2, Subnet: DefaultSubnet, StateRoot: "/var/lib/o l"}
	b := defaultBinaries()
	b.Sshd = "/usr/sbin/sshd"
	s := l.hostScript(b, 2, "")
	for _, want := range []string{
		"mount -t tmpfs -o mode=0755 overlab-run /run\n",
		"echo node2 > /proc/sys/kernel/hostname\n",
		"mount --bind '/var/lib/o l/demo/hosts/node2/bashrc' /root/.bashrc",
		"/usr/sbin/sshd -D -f '/var/lib/o l/demo/hosts/node2/sshd_config'",
		"export DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1\n",
		"--pidfile '/var/lib/o l/demo/hosts/node2/dockerd.pid'",
		"--cgroup-parent /overlab/demo/node2",
		"--host unix:///var/run/docker.sock",
		"\nwait\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("host script lacks %q:\n%s", want, s)
		}
	}
	// The engine must start after /run is private, or it would share a socket.
	if strings.Index(s, "mount -t tmpfs") > strings.Index(s, "dockerd") {
		t.Error("dockerd starts before /run is the host's own")
	}
	cmd := l.hostCommand(b, 2, "")
	if cmd[0] != "nsenter" || cmd[1] != "--net=/run/netns/demo-node2" || cmd[2] != "unshare" {
		t.Errorf("host command = %q", cmd[:3])
	}
	cfg := l.sshdConfig(1)
	for _, want := range []string{"ListenAddress 192.168.56.11\n", "AuthorizedKeysFile /var/lib/o l/demo/authorized_keys/%u\n", "PasswordAuthentication no\n", "AllowStreamLocalForwarding yes\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("sshd config lacks %q", want)
		}
	}
}

func TestReadRoutesAndOverlap(t *testing.T) {
	routes, err := readRoutes("testdata/route")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"192.0.2.0/24": "eth0", "192.168.56.0/24": "olb1", "10.0.0.0/8": "wg0"}
	if len(routes) != len(want) {
		t.Fatalf("routes = %v, want %v (the default route is skipped)", routes, want)
	}
	for p, dev := range want {
		if routes[netip.MustParsePrefix(p)] != dev {
			t.Errorf("route %s: got %q, want %q", p, routes[netip.MustParsePrefix(p)], dev)
		}
	}
	machine := map[netip.Prefix]string{}
	for p, dev := range routes {
		machine[p] = "route via " + dev
	}
	if hits := overlapping(netip.MustParsePrefix("10.213.4.0/24"), machine); len(hits) != 1 || hits[0] != "route via wg0" {
		t.Errorf("overlap with 10/8 route: %v", hits)
	}
	if hits := overlapping(netip.MustParsePrefix("192.168.57.0/24"), machine); len(hits) != 0 {
		t.Errorf("192.168.57.0/24 should be free: %v", hits)
	}
}
