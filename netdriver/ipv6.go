package netdriver

import (
	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/engines"
	"github.com/overlab/overlab/feature"
)

// Address families, as labs and results name them.
const (
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// HasIPv4 says whether n has IPv4 addresses (every network but an
// IPv6-only one).
func (n *Network) HasIPv4() bool { return n.IPv4 == nil || *n.IPv4 }

// Families are the address families of n's containers, IPv4 first.
func (n *Network) Families() []string {
	var out []string
	if n.HasIPv4() {
		out = append(out, FamilyIPv4)
	}
	if n.IPv6 {
		out = append(out, FamilyIPv6)
	}
	return out
}

// HasFamily says whether n's containers have addresses of family f.
func (n *Network) HasFamily(f string) bool {
	for _, x := range n.Families() {
		if x == f {
			return true
		}
	}
	return false
}

// IPv6Only is the engine range that has IPv6-only networks (the API's
// EnableIPv4 and the CLI's --ipv4=false, moby#48271): an older engine
// ignores the field and gives the network an IPv4 subnet anyway.
var IPv6Only = engines.MustRange(">= 28.0")

// families are the Docker create options of n's address families: IPv6 on
// when asked, IPv4 off for an IPv6-only network, and the IPv6 subnet
// beside the IPv4 one.
func families(o *network.CreateOptions, n *Network, s Site) {
	if n.IPv6 {
		on := true
		o.EnableIPv6 = &on
	}
	if !n.HasIPv4() {
		off := false
		o.EnableIPv4 = &off
		if o.IPAM != nil {
			o.IPAM.Config = nil
		}
	}
	if !s.SubnetIPv6.IsValid() {
		return
	}
	if o.IPAM == nil {
		o.IPAM = &network.IPAM{Driver: "default"}
	}
	o.IPAM.Config = append(o.IPAM.Config, network.IPAMConfig{Subnet: s.SubnetIPv6.String(), Gateway: n.GatewayIPv6})
}

// ipv6Needs are what an IPv6 network needs of the hosts: the kernel's
// IPv6, and for an IPv6-only one an engine that has them.
func ipv6Needs(n *Network) []Need {
	var out []Need
	if n.IPv6 {
		out = append(out, Need{Feature: feature.IPv6, Message: "network %q has IPv6, but %s have no IPv6 in the kernel"})
	}
	if !n.HasIPv4() {
		out = append(out, Need{Engines: IPv6Only, Message: "network %q is IPv6-only (ipv4: false), which Docker Engine has from 28.0 (an older one ignores it and adds IPv4); %s run older engines: place its workloads with placement.engines: \">= 28.0\""})
	}
	return out
}
