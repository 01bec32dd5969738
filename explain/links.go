package explain

import (
	"strconv"
	"strings"
)

// link is one line of `ip -o -d link show`.
type link struct {
	Index  int
	Name   string
	Peer   int // the @ifN of a veth or macvlan: the peer's or parent's index
	Master string
	Kind   string // veth, vxlan, bridge, macvlan, ... ("" for plain)
	MTU    int
	MAC    string
	VNI    int
	Port   int    // vxlan dstport
	Mode   string // macvlan mode
}

// parseLinks reads `ip -o -d link show` output.
func parseLinks(out string) []link {
	var ls []link
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(strings.ReplaceAll(line, `\`, " "))
		if len(f) < 3 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		var l link
		l.Index, _ = strconv.Atoi(strings.TrimSuffix(f[0], ":"))
		name := strings.TrimSuffix(f[1], ":")
		if n, peer, ok := strings.Cut(name, "@"); ok {
			name = n
			l.Peer, _ = strconv.Atoi(strings.TrimPrefix(peer, "if"))
		}
		l.Name = name
		for i := 2; i < len(f)-1; i++ {
			switch f[i] {
			case "mtu":
				l.MTU, _ = strconv.Atoi(f[i+1])
			case "master":
				l.Master = f[i+1]
			case "link/ether":
				l.MAC = f[i+1]
			case "veth", "bridge", "macvlan", "ipvlan", "vxlan":
				if l.Kind == "" {
					l.Kind = f[i]
				}
				if f[i] == "vxlan" && f[i+1] == "id" && i+2 < len(f) {
					l.VNI, _ = strconv.Atoi(f[i+2])
				}
				if (f[i] == "macvlan" || f[i] == "ipvlan") && f[i+1] == "mode" && i+2 < len(f) {
					l.Mode = f[i+2]
				}
			case "dstport":
				l.Port, _ = strconv.Atoi(f[i+1])
			}
		}
		if l.Kind == "" && len(f) > 2 && f[len(f)-1] == "veth" {
			l.Kind = "veth"
		}
		ls = append(ls, l)
	}
	return ls
}

func byIndex(ls []link, i int) (link, bool) {
	for _, l := range ls {
		if l.Index == i {
			return l, true
		}
	}
	return link{}, false
}

func byName(ls []link, n string) (link, bool) {
	for _, l := range ls {
		if l.Name == n {
			return l, true
		}
	}
	return link{}, false
}

// sections splits output at "@@@ name" lines.
func sections(out string) map[string]string {
	m := map[string]string{}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur != "" {
			m[cur] = b.String()
		}
		b.Reset()
	}
	for _, l := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(l, "@@@ "); ok {
			flush()
			cur = name
			continue
		}
		b.WriteString(l + "\n")
	}
	flush()
	return m
}
