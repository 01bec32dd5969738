package addrplan

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultPoolsIPv6 are where free IPv6 subnets are picked from: a unique
// local prefix (RFC 4193, fd00::/8) whose global ID spells "olab"
// (6f6c:6162), so that an overlab network is recognisable in a routing
// table; like any ULA it is never routed on the internet.
var DefaultPoolsIPv6 = []netip.Prefix{netip.MustParsePrefix("fd00:6f6c:6162::/48")}

// DefaultPoolBitsIPv6 is the size of a picked IPv6 subnet: a /64, the
// size IPv6 subnets have on a LAN (and what Docker itself picks).
const DefaultPoolBitsIPv6 = 64

// DefaultHintIPv6 ends an IPv6 conflict message.
const DefaultHintIPv6 = "(set subnet_ipv6: on the network in the lab file)"

// WithPoolsIPv6 replaces DefaultPoolsIPv6.
func WithPoolsIPv6(p ...netip.Prefix) Option { return func(o *options) { o.pools6 = p } }

// hint6 is the end of a conflict message about an IPv6 subnet.
func (p *planner) hint6() string {
	if p.o.hint == DefaultHint {
		return DefaultHintIPv6
	}
	return p.o.hint
}

// placeIPv6 gives every network that asks for IPv6 its IPv6 subnet: the
// lab's, checked against everything IPv6 the hosts and Docker hold (their
// IPv6 routes and networks, the lab's other IPv6 subnets), else the one it
// has from a previous run, else the first free /64 of the pools.
func (p *planner) placeIPv6() {
	var chooseLater []Request
	for _, r := range p.in.Networks {
		if !r.IPv6 {
			continue
		}
		pfx := r.SubnetIPv6.Masked()
		e, had := p.existing(r.Name, false)
		switch {
		case r.SubnetIPv6.IsValid() && had && e != pfx:
			msg := fmt.Sprintf("lab network %q wants IPv6 subnet %s but a network of that name already exists with %s; remove it first (overlab down, or docker network rm %s)", r.Name, pfx, e, r.Name)
			p.plan.Conflicts = append(p.plan.Conflicts, Conflict{Network: r.Name, With: Subnet{Prefix: e, Kind: KindExisting, Name: r.Name}, Message: msg})
			p.finding(SeverityError, "", "%s", msg)
		case r.SubnetIPv6.IsValid():
			for _, s := range p.blockers(r) {
				if s.Prefix.Overlaps(pfx) {
					p.conflictHint(r, pfx, s, p.hint6())
				}
			}
			p.place6(r, pfx, false)
		case had:
			p.place6(r, e, false)
		default:
			chooseLater = append(chooseLater, r)
		}
	}
	for _, r := range chooseLater {
		pfx := p.free(p.o.bits6, false, p.blockers(r))
		if !pfx.IsValid() {
			var pools []string
			for _, pl := range p.o.pools6 {
				pools = append(pools, pl.String())
			}
			msg := fmt.Sprintf("lab network %q: no free IPv6 /%d left in %s; set its subnet_ipv6 %s", r.Name, p.o.bits6, strings.Join(pools, ", "), p.hint6())
			p.plan.Conflicts = append(p.plan.Conflicts, Conflict{Network: r.Name, Message: msg})
			p.finding(SeverityError, "", "%s", msg)
			continue
		}
		p.place6(r, pfx, true)
	}
}

func (p *planner) place6(r Request, pfx netip.Prefix, chosen bool) {
	p.plan.SubnetsIPv6[r.Name] = pfx
	if chosen {
		p.plan.ChosenIPv6[r.Name] = true
	}
	p.placed = append(p.placed, Subnet{Prefix: pfx, Kind: KindLab, Name: r.Name})
}
