package netdriver

import (
	"fmt"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/engines"
)

// A bridge network's gateway modes, per address family: how the host
// forwards between the network and the rest of the world.
const (
	// GatewayNAT (the default): masquerade out, publish through host
	// ports; from 28.0 only published ports are reachable, and only
	// through host addresses.
	GatewayNAT = "nat"
	// GatewayNATUnprotected: NAT, but no port filtering: any port of a
	// container is reachable by direct routing (the pre-28.0 behaviour of
	// hosts whose FORWARD policy was ACCEPT).
	GatewayNATUnprotected = "nat-unprotected"
	// GatewayRouted: no NAT; published container ports (and ICMP) are
	// reachable at the container's own address, by direct routing only.
	GatewayRouted = "routed"
	// GatewayIsolated: an internal network whose bridge has no address,
	// so that even its host cannot reach it.
	GatewayIsolated = "isolated"
)

// Docker's bridge options for the gateway modes.
const (
	OptionGatewayModeIPv4 = "com.docker.network.bridge.gateway_mode_ipv4"
	OptionGatewayModeIPv6 = "com.docker.network.bridge.gateway_mode_ipv6"
)

// gatewayModeSince is the first engine generation that has each mode:
// nat and routed came in 27.0 (moby#47871), nat-unprotected (moby#48597)
// and isolated (moby#49262) in 28.0. An older engine takes the option
// without a word and ignores it.
var gatewayModeSince = map[string]string{
	GatewayNAT:            "27.0",
	GatewayRouted:         "27.0",
	GatewayNATUnprotected: "28.0",
	GatewayIsolated:       "28.0",
}

func validGatewayMode(m string) bool {
	_, ok := gatewayModeSince[m]
	return ok
}

// gatewayModes sets the network's gateway-mode options.
func gatewayModes(o *network.CreateOptions, n *Network) {
	if n.GatewayModeIPv4 != "" {
		setOption(o, OptionGatewayModeIPv4, n.GatewayModeIPv4)
	}
	if n.GatewayModeIPv6 != "" {
		setOption(o, OptionGatewayModeIPv6, n.GatewayModeIPv6)
	}
}

// gatewayNeeds are the engine generations the network's gateway modes need.
func gatewayNeeds(n *Network) []Need {
	var out []Need
	for _, g := range []struct{ field, mode string }{{"gateway_mode_ipv4", n.GatewayModeIPv4}, {"gateway_mode_ipv6", n.GatewayModeIPv6}} {
		since, ok := gatewayModeSince[g.mode]
		if !ok {
			continue
		}
		r := engines.MustRange(">= " + since)
		out = append(out, Need{Engines: r, Message: fmt.Sprintf("network %%q sets %s %s, which Docker Engine has from %s (an older one ignores the option without a word, and the network is plain NAT); %%s run older engines: place its workloads with placement.engines: %q",
			g.field, g.mode, since, r.String())})
	}
	return out
}
