package blueprinttest

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"
)

func TestDifferencesIPv6(t *testing.T) {
	flags := ShellWords(t, "docker network create -d bridge --ipv6 --subnet 10.200.0.0/24 --subnet fd00:6f6c:6162::/64 -o com.docker.network.bridge.gateway_mode_ipv4=routed v6")[3:]
	flags = flags[:len(flags)-1]
	same := network.Inspect{Driver: "bridge", Scope: "local", EnableIPv4: true, EnableIPv6: true,
		IPAM:    network.IPAM{Config: []network.IPAMConfig{{Subnet: "10.200.0.0/24", Gateway: "10.200.0.1"}, {Subnet: "fd00:6f6c:6162::/64", Gateway: "fd00:6f6c:6162::1"}}},
		Options: map[string]string{"com.docker.network.bridge.gateway_mode_ipv4": "routed"}}
	if d := Differences(flags, same); len(d) != 0 {
		t.Errorf("the same network differs: %v", d)
	}
	v4only := same
	v4only.EnableIPv6 = false
	v4only.IPAM.Config = same.IPAM.Config[:1]
	v4only.Options = nil
	d := strings.Join(Differences(flags, v4only), "; ")
	for _, want := range []string{`ipv6 "" (the command says "true")`, "no subnet fd00:6f6c:6162::/64", `option com.docker.network.bridge.gateway_mode_ipv4 "" (the command says "routed")`} {
		if !strings.Contains(d, want) {
			t.Errorf("differences %q lack %q", d, want)
		}
	}
	only := ShellWords(t, "docker network create -d bridge --ipv6 --ipv4=false --subnet fd00:6f6c:6162:3::/64 o")[3:]
	got := network.Inspect{Driver: "bridge", Scope: "local", EnableIPv4: true, EnableIPv6: true,
		IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: "172.18.0.0/16"}, {Subnet: "fd00:6f6c:6162:3::/64"}}}}
	if d := strings.Join(Differences(only[:len(only)-1], got), "; "); !strings.Contains(d, `ipv4 "true" (the command says "false")`) {
		t.Errorf("an engine that ignored --ipv4=false: %q", d)
	}
}
