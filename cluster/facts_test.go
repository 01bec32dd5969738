package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/overlab/overlab/feature"
)

func factsFrom(t *testing.T, fixture, address string) (*Facts, error) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	f := &Facts{Name: "h", Address: address}
	applyHostFacts(f, parseSections(string(b)))
	return f, checkAddress(context.Background(), f)
}

func TestHostFactsFixtures(t *testing.T) {
	for _, tc := range []struct {
		fixture, address           string
		hostname, os, kernel, arch string
		iface, subnet              string
		mtu                        int
		have                       []feature.Name
		wantRoute                  string
		detail                     map[feature.Name]string // substrings
	}{
		{
			// This machine's kernel (FACTS.md): no modules at all, a
			// /proc/config.gz, macvlan built in without a /sys/module entry.
			fixture: "facts-fc-kernel.txt", address: "192.0.2.2",
			hostname: "vm", os: "Debian GNU/Linux 12 (bookworm)", kernel: "6.18.44-fc-v509", arch: "amd64",
			iface: "eth0", subnet: "192.0.2.0/24", mtu: 1400,
			have:      []feature.Name{feature.VXLAN, feature.Macvlan},
			wantRoute: "0.0.0.0/0",
			detail:    map[feature.Name]string{"ipvs": "CONFIG_IP_VS is not set", "macvlan": "CONFIG_MACVLAN=y", "8021q": "CONFIG_VLAN_8021Q is not set"},
		},
		{
			// A Vagrant-style VM: modules, lab address on the second NIC.
			fixture: "facts-debian-vm.txt", address: "192.168.56.12",
			hostname: "node2", os: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0-26-amd64", arch: "amd64",
			iface: "eth1", subnet: "192.168.56.0/24", mtu: 1450,
			have:      []feature.Name{feature.VXLAN, feature.Macvlan, feature.IPVS, feature.ESP, feature.VLAN},
			wantRoute: "10.99.0.0/16",
			detail:    map[feature.Name]string{"ipvs": "/proc/net/ip_vs exists", "esp": "loadable /lib/modules/6.1.0-26-amd64/kernel/net/ipv4/esp4.ko", "macvlan": "CONFIG_MACVLAN=m"},
		},
		{
			// No iproute2: ifconfig, /proc/net/if_inet6 and /proc/net/route.
			fixture: "facts-busybox-noip.txt", address: "10.10.0.5",
			hostname: "tiny", os: "Alpine Linux 3.20.0", kernel: "5.15.0", arch: "arm64",
			iface: "eth0", subnet: "10.10.0.0/24", mtu: 1500,
			wantRoute: "10.10.0.0/24",
			detail:    map[feature.Name]string{"vxlan": "no sign of vxlan"},
		},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			f, err := factsFrom(t, tc.fixture, tc.address)
			if err != nil {
				t.Fatalf("checkAddress: %v", err)
			}
			if f.Hostname != tc.hostname || f.OS != tc.os || f.Kernel != tc.kernel || f.Arch != tc.arch {
				t.Errorf("host = %q %q %q %q", f.Hostname, f.OS, f.Kernel, f.Arch)
			}
			if f.UnderlayIface != tc.iface || f.UnderlaySubnet != tc.subnet || f.UnderlayMTU != tc.mtu {
				t.Errorf("underlay = %s %s %d", f.UnderlayIface, f.UnderlaySubnet, f.UnderlayMTU)
			}
			ft := f.Features
			for _, each := range feature.All {
				if ft.Has(each.Name) != slices.Contains(tc.have, each.Name) {
					t.Errorf("%s: present %v, want %v (%s)", each.Name, ft.Has(each.Name), !ft.Has(each.Name), ft.Detail[each.Name])
				}
			}
			for k, want := range tc.detail {
				if !strings.Contains(ft.Detail[k], want) {
					t.Errorf("detail[%s] = %q, want it to contain %q", k, ft.Detail[k], want)
				}
			}
			if !slices.Contains(f.Routes, netip.MustParsePrefix(tc.wantRoute)) {
				t.Errorf("routes %v lack %s", f.Routes, tc.wantRoute)
			}
			if len(f.Addresses) != len(f.Interfaces) || len(f.Addresses) < 2 {
				t.Errorf("addresses = %v", f.Addresses)
			}
		})
	}
}

// The classic multi-NIC mistake: the inventory gives the NAT address that
// every Vagrant VM shares, or an address of another machine.
func TestAddressNotOnHost(t *testing.T) {
	f, err := factsFrom(t, "facts-debian-vm.txt", "192.168.56.13")
	var ae *AddressNotOnHostError
	if !errors.As(err, &ae) {
		t.Fatalf("want *AddressNotOnHostError, got %v", err)
	}
	for _, want := range []string{"192.168.56.13", "192.168.56.12/24 on eth1", "10.0.2.15/24 on eth0", "ssh_host"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "127.0.0.1") || f.UnderlayIface != "" {
		t.Errorf("loopback listed or underlay set: %v / %q", err, f.UnderlayIface)
	}
}

func TestParseIPRouteTypes(t *testing.T) {
	got := parseIPRoute([]string{"default via 10.0.0.1 dev eth0", "blackhole 10.1.0.0/16", "10.2.0.7 dev eth0", "default via 10.0.0.2 dev eth1"}, false)
	want := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.7/32")}
	if !slices.Equal(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
}

func TestFactsScriptAsksForEveryFeature(t *testing.T) {
	if left := regexp.MustCompile(`@[A-Z_]+@`).FindString(factsScript); left != "" {
		t.Fatalf("placeholder %s is left in the facts script", left)
	}
	for _, f := range feature.All {
		if !strings.Contains(factsScript, f.Module) || !strings.Contains(factsScript, f.Symbol) {
			t.Errorf("the facts script does not ask about %s", f.Name)
		}
	}
}

func TestFeaturesKeepTheirPrintedShape(t *testing.T) {
	f := NewFeatures(feature.VXLAN, feature.IPVS)
	f.Detail = map[feature.Name]string{feature.VXLAN: "module vxlan loaded"}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"8021q":false,"detail":{"vxlan":"module vxlan loaded"},"esp":false,"ipv6":false,"ipvlan":false,"ipvs":true,"macvlan":false,"netem":false,"vxlan":true}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	var back Features
	if err := json.Unmarshal(b, &back); err != nil || !back.Has(feature.IPVS) || back.Has(feature.ESP) || back.Detail[feature.VXLAN] == "" {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}
