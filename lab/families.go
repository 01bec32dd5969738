package lab

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/overlab/overlab/netdriver"
)

// Address families of an expectation's probes (the same strings as
// netdriver's and results').
const (
	FamilyIPv4 = netdriver.FamilyIPv4
	FamilyIPv6 = netdriver.FamilyIPv6
)

var familyNames = []string{FamilyIPv4, FamilyIPv6}

// RowFamilies are the address families row e probes: its families as
// written, else those its target has. A workload or name target has the
// families of the row's network (both on a dual-stack one, only ipv6 on an
// IPv6-only one); an address target has its address's; an underlay target
// the inventory addresses' (IPv4 here).
func (l *Lab) RowFamilies(e *Expectation) []string {
	if len(e.Families) > 0 {
		return e.Families
	}
	t := e.To
	switch {
	case t.Address != "":
		return []string{addrFamily(t.Address)}
	case t.Underlay:
		return []string{FamilyIPv4}
	}
	if n := l.Network(l.ExpectNetwork(e)); n != nil {
		if fs := n.Families(); len(fs) > 0 {
			return fs
		}
	}
	return []string{FamilyIPv4}
}

func addrFamily(s string) string {
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() && !a.Is4In6() {
		return FamilyIPv6
	}
	return FamilyIPv4
}

// families checks a row's families against its target and network.
func (c *expectCheck) families() {
	e, t := c.e, c.e.To
	seen := map[string]bool{}
	for j, f := range e.Families {
		path := fmt.Sprintf("families[%d]", j)
		if !c.l.has(c.at(path)) {
			path = "family"
		}
		switch {
		case !oneOf(f, familyNames):
			c.add(path, "families", "unknown family %q (ipv4 or ipv6)", f)
			continue
		case seen[f]:
			c.add(path, "families", "%q listed twice", f)
		case t.Underlay:
			c.add(path, "families", "an underlay target is the hosts' inventory address, whose family is its own: leave families out")
		case t.Address != "" && addrFamily(t.Address) != f:
			c.add(path, "families", "the target address %s is not %s", t.Address, f)
		case t.Workload != "":
			if n := c.l.Network(c.l.ExpectNetwork(e)); n != nil && !n.HasFamily(f) {
				c.add(path, "families", "network %q has no %s (its families: %s)", n.Name, f, strings.Join(n.Families(), ", "))
			}
		}
		seen[f] = true
	}
}
