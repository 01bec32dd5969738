package netdriver

// RouteScope says what another host routes via a host to reach the
// containers a network has there.
type RouteScope int

const (
	// RouteNone: a route cannot reach them (a tunnel, or containers that
	// are on the LAN already).
	RouteNone RouteScope = iota
	// RouteSubnet: the network's subnet (a bridge: each host's is a
	// segment of its own behind the host).
	RouteSubnet
	// RouteHostRange: the host's own range of the subnet (ipvlan l3: the
	// parent routes for the children it holds).
	RouteHostRange
)

// Router is a driver whose containers other hosts reach through a route
// via their host. A driver that is not one cannot be routed to.
type Router interface {
	RouteScope(n *Network) RouteScope
}

// RouteScopeOf is what a route via a host reaches of network n there.
func RouteScopeOf(n *Network) RouteScope {
	if r, ok := Of(n.Driver).(Router); ok {
		return r.RouteScope(n)
	}
	return RouteNone
}
