package hostlist

import (
	"fmt"
	"testing"
)

func seq(prefix string, from, to, width int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%0*d", prefix, width, i))
	}
	return out
}

func TestJoin(t *testing.T) {
	tests := []struct {
		name  string
		hosts []string
		want  string
	}{
		{"empty", nil, ""},
		{"one", []string{"node1"}, "node1"},
		{"two stay names", []string{"node2", "node1"}, "node1, node2"},
		{"a short list is written out", []string{"node3", "node1", "node2"}, "node1, node2, node3"},
		{"five still are", seq("node", 1, 5, 0), "node1, node2, node3, node4, node5"},
		{"six become a range", seq("node", 1, 6, 0), "node[1:6]"},
		{"numbers sort by value", []string{"node10", "node9", "node2", "node8", "node4", "node6"}, "node2, node4, node6, node[8:10]"},
		{"padded", append(seq("node", 1, 40, 3), "node042"), "node[001:040], node042"},
		{"a gap splits", append(seq("node", 1, 40, 3), seq("node", 42, 99, 3)...), "node[001:040], node[042:099]"},
		{"duplicates once", []string{"a", "a", "b"}, "a, b"},
		{"duplicates do not make a list long", []string{"n1", "n1", "n2", "n2", "n3", "n3"}, "n1, n2, n3"},
		{"no digits", []string{"manager", "alpha"}, "alpha, manager"},
		{"suffix kept", []string{"w1.lab", "w2.lab", "w3.lab", "w4.example", "x", "y"}, "w4.example, w[1:3].lab, x, y"},
		{"padding differs", []string{"n08", "n09", "n10", "n8", "x", "y"}, "n8, n[08:10], x, y"},
		{"padded past its width", seq("node", 1, 100, 3), "node[001:100]"},
		{"unpadded runs on", seq("node", 8, 13, 0), "node[8:13]"},
		{"last digits only", []string{"rack1-node1", "rack1-node2", "rack1-node3", "rack2-node1", "rack2-node2", "rack2-node3"}, "rack1-node[1:3], rack2-node[1:3]"},
		{"mixed prefixes", []string{"b1", "a1", "a2", "a3", "b2", "c"}, "a[1:3], b1, b2, c"},
		{"huge number is a name", []string{"n12345678901", "n12345678902", "n12345678903", "a", "b", "c"}, "a, b, c, n12345678901, n12345678902, n12345678903"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Join(tc.hosts); got != tc.want {
				t.Errorf("Join(%q) = %q, want %q", tc.hosts, got, tc.want)
			}
		})
	}
}

func TestSort(t *testing.T) {
	hs := []string{"node10", "b", "node2", "node1", "a"}
	Sort(hs)
	if got := fmt.Sprint(hs); got != "[a b node1 node2 node10]" {
		t.Errorf("Sort: %s", got)
	}
}
