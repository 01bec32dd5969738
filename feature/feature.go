package feature

import (
	"fmt"
	"strings"
)

// Name is a feature's one name: in facts JSON, details, tables and notes.
type Name string

const (
	VXLAN   Name = "vxlan"
	Macvlan Name = "macvlan"
	IPVS    Name = "ipvs"
	ESP     Name = "esp"
	VLAN    Name = "8021q"
	IPVLAN  Name = "ipvlan"
	IPv6    Name = "ipv6"
	NetEm   Name = "netem"
)

// Feature is one kernel feature and the evidence that shows it.
type Feature struct {
	Name    Name
	Title   string // as people write it: "ESP (xfrm)"
	Module  string // kernel module, also the name of its .ko file
	Config  string // kernel config option
	Symbol  string // a kernel symbol only it defines
	ProcNet string // an entry under /proc/net that only it makes; "" if none
	Without string // what a host without it cannot do, and what to do instead
}

// All lists every feature, in the order overlab shows them.
var All = []Feature{
	{VXLAN, "VXLAN", "vxlan", "CONFIG_VXLAN", "vxlan_xmit", "",
		"overlay networks cannot work"},
	{Macvlan, "macvlan", "macvlan", "CONFIG_MACVLAN", "macvlan_common_newlink", "",
		"macvlan networks cannot be created"},
	{IPVS, "IPVS", "ip_vs", "CONFIG_IP_VS", "ip_vs_conn_new", "ip_vs",
		"no swarm VIP load balancing or routing mesh: use endpoint_mode dnsrr and published ports in mode host"},
	{ESP, "ESP (xfrm)", "esp4", "CONFIG_INET_ESP", "esp_output_head", "",
		"encrypted overlay networks cannot pass traffic"},
	{VLAN, "802.1q", "8021q", "CONFIG_VLAN_8021Q", "register_vlan_dev", "vlan",
		"no VLAN sub-interfaces (eth0.10) as macvlan parents; a plain parent works"},
	{IPVLAN, "ipvlan", "ipvlan", "CONFIG_IPVLAN", "ipvlan_link_new", "",
		"ipvlan networks cannot be created: use macvlan, or hosts whose kernel has the ipvlan module"},
	{IPv6, "IPv6", "ipv6", "CONFIG_IPV6", "ipv6_rcv", "if_inet6",
		"containers get no IPv6 addresses: IPv6 networks cannot be created"},
	{NetEm, "netem (tc)", "sch_netem", "CONFIG_NET_SCH_NETEM", "netem_enqueue", "",
		"no delay or loss faults (tc qdisc ... netem); block, cut and mtu faults work"},
}

// Get returns the feature called n; it panics on a name not in All (a
// programming error, caught by any test that reaches it).
func Get(n Name) Feature {
	for _, f := range All {
		if f.Name == n {
			return f
		}
	}
	panic(fmt.Sprintf("feature: unknown feature %q", n))
}

// Lacking is the sentence overlab says about hosts without f.
func (f Feature) Lacking() string {
	return fmt.Sprintf("no %s in the kernel: %s", f.Title, f.Without)
}

// Known says whether n is a feature of All.
func Known(n Name) bool {
	for _, f := range All {
		if f.Name == n {
			return true
		}
	}
	return false
}

// Names are the names of All, in order.
func Names() []string {
	return Field(func(f Feature) string { return string(f.Name) })
}

// Field returns one attribute of every feature, in order: the lists that the
// facts script loops over.
func Field(get func(Feature) string) []string {
	var out []string
	for _, f := range All {
		if v := get(f); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Script fills the placeholders of a shell script with the features' lists:
// @MODULES@ (space separated), @CONFIG_RE@ and @SYMBOL_RE@ (alternations for
// grep -E, without the CONFIG_ prefix for the former), @PROCNET@ and
// @KO_FIND@ (find(1) -name tests joined by -o).
func Script(s string) string {
	var configs, finds []string
	for _, c := range Field(func(f Feature) string { return f.Config }) {
		configs = append(configs, strings.TrimPrefix(c, "CONFIG_"))
	}
	for _, m := range Field(func(f Feature) string { return f.Module }) {
		finds = append(finds, fmt.Sprintf("-name '%s.ko*'", m))
	}
	return strings.NewReplacer(
		"@MODULES@", strings.Join(Field(func(f Feature) string { return f.Module }), " "),
		"@CONFIG_RE@", strings.Join(configs, "|"),
		"@SYMBOL_RE@", strings.Join(Field(func(f Feature) string { return f.Symbol }), "|"),
		"@PROCNET@", strings.Join(Field(func(f Feature) string { return f.ProcNet }), " "),
		"@KO_FIND@", strings.Join(finds, " -o "),
	).Replace(s)
}
