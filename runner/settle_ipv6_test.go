package runner

import (
	"reflect"
	"strings"
	"testing"
)

// TestIPv6BridgesPerHost: only IPv6 bridges, and only on the hosts whose
// workloads attach them.
func TestIPv6BridgesPerHost(t *testing.T) {
	l := parse(t, `
name: v6
networks:
  - {name: b6, driver: bridge, ipv6: true}
  - {name: o6, driver: bridge, ipv6: true}
  - {name: b4, driver: bridge}
workloads:
  - {name: a, networks: [b6, b4], placement: {hosts: [node1]}}
  - {name: c, networks: [o6, b6], placement: {hosts: [node2]}}
  - {name: d, networks: [b4]}
`)
	placed := map[string][]string{"a": {"node1"}, "c": {"node2"}, "d": {"node1", "node2", "node3"}}
	got := ipv6Bridges(l, placed)
	want := map[string][]string{"node1": {"b6"}, "node2": {"b6", "o6"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if s := dadScript([]string{"br-1", "br-2"}); !strings.Contains(s, `$2=="br-1" || $2=="br-2"`) || !strings.Contains(s, "-ge 100 ]") {
		t.Errorf("script:\n%s", s)
	}
}
