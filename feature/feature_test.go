package feature

import (
	"regexp"
	"strings"
	"testing"
)

func TestScriptFillsEveryList(t *testing.T) {
	got := Script("m: @MODULES@\nc: @CONFIG_RE@\ns: @SYMBOL_RE@\np: @PROCNET@\nf: @KO_FIND@\n")
	want := "m: vxlan macvlan ip_vs esp4 8021q ipvlan ipv6 sch_netem\n" +
		"c: VXLAN|MACVLAN|IP_VS|INET_ESP|VLAN_8021Q|IPVLAN|IPV6|NET_SCH_NETEM\n" +
		"s: vxlan_xmit|macvlan_common_newlink|ip_vs_conn_new|esp_output_head|register_vlan_dev|ipvlan_link_new|ipv6_rcv|netem_enqueue\n" +
		"p: ip_vs vlan if_inet6\n" +
		"f: -name 'vxlan.ko*' -o -name 'macvlan.ko*' -o -name 'ip_vs.ko*' -o -name 'esp4.ko*' -o -name '8021q.ko*' -o -name 'ipvlan.ko*' -o -name 'ipv6.ko*' -o -name 'sch_netem.ko*'\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEveryFeatureIsComplete(t *testing.T) {
	seen := map[Name]bool{}
	word := regexp.MustCompile(`^[a-z0-9_]+$`)
	for _, f := range All {
		if seen[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
		if f.Title == "" || !word.MatchString(f.Module) || !strings.HasPrefix(f.Config, "CONFIG_") || !word.MatchString(f.Symbol) || f.Without == "" {
			t.Errorf("%s: incomplete %+v", f.Name, f)
		}
		if Get(f.Name).Name != f.Name {
			t.Errorf("Get(%s) = %+v", f.Name, Get(f.Name))
		}
	}
	if got := Get(ESP).Lacking(); got != "no ESP (xfrm) in the kernel: encrypted overlay networks cannot pass traffic" {
		t.Errorf("Lacking = %q", got)
	}
}
