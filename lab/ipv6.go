package lab

import "net/netip"

// addressingIPv6 checks an IPv6 network's subnet_ipv6 and gateway_ipv6,
// and that the IPv4 fields hold IPv4 beside them.
func (c *netCheck) addressingIPv6() {
	n := c.n
	if n.IPv6 && c.subnet.IsValid() && !c.subnet.Addr().Is4() {
		c.add("subnet", "%s is IPv6: on a network with ipv6: true, subnet is the IPv4 one and subnet_ipv6 the IPv6 one", c.subnet)
	}
	var v6 netip.Prefix
	if n.SubnetIPv6 != "" {
		var msg string
		switch v6, msg = parsePrefix(n.SubnetIPv6); {
		case msg != "":
			c.add("subnet_ipv6", "%s", msg)
		case !v6.Addr().Is6() || v6.Addr().Is4In6():
			c.add("subnet_ipv6", "%s is not an IPv6 prefix (like fd00:6f6c:6162:1::/64)", v6)
			v6 = netip.Prefix{}
		case v6.Bits() > 120:
			c.add("subnet_ipv6", "%s leaves no room for containers: use a /64, or at most /120", v6)
		}
	}
	if n.GatewayIPv6 != "" {
		g, err := netip.ParseAddr(n.GatewayIPv6)
		switch {
		case err != nil || !g.Is6():
			c.add("gateway_ipv6", "%q is not an IPv6 address", n.GatewayIPv6)
		case n.SubnetIPv6 == "":
			c.add("gateway_ipv6", "needs subnet_ipv6")
		case v6.IsValid() && !v6.Contains(g):
			c.add("gateway_ipv6", "%s is outside subnet_ipv6 %s", g, v6)
		}
	}
}
