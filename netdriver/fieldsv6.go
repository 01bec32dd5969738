package netdriver

import "fmt"

// checkFamilies lists the address-family and gateway-mode fields n sets
// that its driver does not take.
func (t takes) checkFamilies(n *Network) []Problem {
	var out []Problem
	add := func(field, format string, args ...any) {
		out = append(out, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case n.IPv6 && !t.ipv6:
		add("ipv6", "overlab gives IPv6 to bridge and overlay networks only (an underlay network's IPv6 would need per-host IPv6 ranges, which the plan does not carve)")
	case !n.IPv6 && (n.SubnetIPv6 != "" || n.GatewayIPv6 != ""):
		field := "subnet_ipv6"
		if n.SubnetIPv6 == "" {
			field = "gateway_ipv6"
		}
		add(field, "subnet_ipv6 and gateway_ipv6 need ipv6: true")
	}
	if !n.HasIPv4() {
		switch {
		case !t.ipv6Only:
			add("ipv4", "only bridge networks can leave IPv4 out (Docker keeps IPv4 on swarm networks)")
		case !n.IPv6:
			add("ipv4", "a network without IPv4 needs ipv6: true (it would have no address at all)")
		case n.Subnet != "" || n.Gateway != "" || n.IPRange != "":
			add("subnet", "an IPv6-only network (ipv4: false) has no IPv4 subnet, gateway or ip_range")
		}
	}
	for _, g := range []struct{ field, mode string }{{"gateway_mode_ipv4", n.GatewayModeIPv4}, {"gateway_mode_ipv6", n.GatewayModeIPv6}} {
		switch {
		case g.mode == "":
		case !t.gateways:
			add(g.field, "only bridge networks have gateway modes")
		case !validGatewayMode(g.mode):
			add(g.field, "%q: want nat, nat-unprotected, routed or isolated", g.mode)
		case g.mode == GatewayIsolated && !n.Internal:
			add(g.field, "isolated needs internal: true (Docker takes it only on an internal network)")
		case g.field == "gateway_mode_ipv6" && !n.IPv6:
			add(g.field, "needs ipv6: true")
		case g.field == "gateway_mode_ipv4" && !n.HasIPv4():
			add(g.field, "the network has no IPv4 (ipv4: false)")
		}
	}
	return out
}
