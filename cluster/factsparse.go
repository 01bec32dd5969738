package cluster

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/overlab/overlab/feature"
)

// parseSections splits the facts script's output at its "@@@ name" lines.
func parseSections(out string) map[string][]string {
	s := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "@@@ "); ok {
			cur = name
			s[cur] = s[cur][:0:0]
			continue
		}
		if cur != "" && strings.TrimSpace(line) != "" {
			s[cur] = append(s[cur], line)
		}
	}
	return s
}

func applyHostFacts(f *Facts, s map[string][]string) {
	if l := s["hostname"]; len(l) > 0 {
		f.Hostname = strings.TrimSpace(l[0])
	}
	if l := s["uname"]; len(l) > 0 {
		f.Kernel = strings.TrimSpace(l[0])
		if len(l) > 1 {
			f.Arch = goarch(strings.TrimSpace(l[1]))
		}
	}
	f.OS = osName(s["os-release"])
	f.InterfaceMTU = parseMTU(s["mtu"])
	f.Interfaces = parseIPAddr(s["addr"])
	if len(f.Interfaces) == 0 {
		f.Interfaces = append(parseIfconfig(s["ifconfig"]), parseIfInet6(s["inet6"])...)
	}
	for _, ia := range f.Interfaces {
		f.Addresses = append(f.Addresses, ia.Prefix)
	}
	f.Routes = append(parseIPRoute(s["route"], false), parseIPRoute(s["route6"], true)...)
	if len(f.Routes) == 0 {
		f.Routes = parseProcRoute(s["procroute"])
	}
	f.Features = detectFeatures(s)
}

func goarch(m string) string {
	switch m {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64", "armv8l":
		return "arm64"
	case "i386", "i486", "i586", "i686", "x86":
		return "386"
	case "armv6l", "armv7l", "arm":
		return "arm"
	case "ppc64le", "s390x", "riscv64", "mips64":
		return m
	}
	return m
}

func osName(lines []string) string {
	vals := map[string]string{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `'"`)
		}
		vals[k] = v
	}
	if v := vals["PRETTY_NAME"]; v != "" {
		return v
	}
	return strings.TrimSpace(vals["NAME"] + " " + vals["VERSION_ID"])
}

func parseMTU(lines []string) map[string]int {
	m := map[string]int{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 2 {
			if v, err := strconv.Atoi(f[1]); err == nil {
				m[f[0]] = v
			}
		}
	}
	return m
}

// parseIPAddr reads `ip -o addr show`: "4: eth0    inet 192.0.2.2/24 brd ...".
func parseIPAddr(lines []string) []InterfaceAddr {
	var out []InterfaceAddr
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 4 || (f[2] != "inet" && f[2] != "inet6") {
			continue
		}
		iface, _, _ := strings.Cut(f[1], "@")
		p, err := netip.ParsePrefix(f[3])
		if err != nil {
			continue
		}
		out = append(out, InterfaceAddr{Iface: iface, Prefix: p})
	}
	return out
}

// parseIfconfig reads IPv4 addresses from net-tools or busybox ifconfig,
// for hosts without iproute2.
func parseIfconfig(lines []string) []InterfaceAddr {
	var out []InterfaceAddr
	iface := ""
	for _, l := range lines {
		if l[0] != ' ' && l[0] != '\t' {
			iface = strings.TrimSuffix(strings.Fields(l)[0], ":")
			continue
		}
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != "inet" {
			continue
		}
		var addr, mask string
		if a, ok := strings.CutPrefix(f[1], "addr:"); ok { // busybox: inet addr:A Bcast:B Mask:M
			addr = a
			for _, w := range f[2:] {
				if m, ok := strings.CutPrefix(w, "Mask:"); ok {
					mask = m
				}
			}
		} else { // net-tools 2: inet A netmask M broadcast B
			addr = f[1]
			for i := 2; i+1 < len(f); i++ {
				if f[i] == "netmask" {
					mask = f[i+1]
				}
			}
		}
		a, err := netip.ParseAddr(addr)
		m, merr := netip.ParseAddr(mask)
		if err != nil || merr != nil || !m.Is4() {
			continue
		}
		b := m.As4()
		bits := 0
		for _, x := range b {
			for ; x&0x80 != 0; x <<= 1 {
				bits++
			}
		}
		out = append(out, InterfaceAddr{Iface: iface, Prefix: netip.PrefixFrom(a, bits)})
	}
	return out
}

// parseIfInet6 reads /proc/net/if_inet6: "hexaddr idx plen scope flags name".
func parseIfInet6(lines []string) []InterfaceAddr {
	var out []InterfaceAddr
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 6 || len(f[0]) != 32 {
			continue
		}
		raw, err := hex.DecodeString(f[0])
		plen, perr := strconv.ParseUint(f[2], 16, 8)
		if err != nil || perr != nil {
			continue
		}
		out = append(out, InterfaceAddr{Iface: f[5], Prefix: netip.PrefixFrom(netip.AddrFrom16([16]byte(raw)), int(plen))})
	}
	return out
}

var routeTypes = []string{"unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit", "blackhole", "nat", "anycast"}

// parseIPRoute reads `ip -o route show` destinations.
func parseIPRoute(lines []string, v6 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		dst := f[0]
		if slices.Contains(routeTypes, dst) && len(f) > 1 {
			dst = f[1]
		}
		var p netip.Prefix
		var err error
		switch {
		case dst == "default" && v6:
			p = netip.MustParsePrefix("::/0")
		case dst == "default":
			p = netip.MustParsePrefix("0.0.0.0/0")
		case strings.Contains(dst, "/"):
			p, err = netip.ParsePrefix(dst)
		default:
			var a netip.Addr
			a, err = netip.ParseAddr(dst)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err == nil && p.IsValid() && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// parseProcRoute reads /proc/net/route (IPv4, little-endian hex) when the
// host has no ip command.
func parseProcRoute(lines []string) []netip.Prefix {
	var out []netip.Prefix
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 8 || f[0] == "Iface" {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		mask, err2 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		var d, m [4]byte
		binary.LittleEndian.PutUint32(d[:], uint32(dst))
		binary.LittleEndian.PutUint32(m[:], uint32(mask))
		bits := 0
		for _, x := range m {
			for ; x&0x80 != 0; x <<= 1 {
				bits++
			}
		}
		p := netip.PrefixFrom(netip.AddrFrom4(d), bits)
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// detectFeatures weighs every kind of evidence: a feature is present when
// anything shows it loaded, built in or installed as a module.
func detectFeatures(s map[string][]string) Features {
	feat := Features{Present: map[feature.Name]bool{}, Detail: map[feature.Name]string{}}
	config := map[string]string{} // CONFIG_X -> y | m | n
	for _, l := range s["config"] {
		if k, v, ok := strings.Cut(l, "="); ok {
			config[k] = v
		} else if rest, ok := strings.CutPrefix(l, "# "); ok {
			config[strings.TrimSuffix(rest, " is not set")] = "n"
		}
	}
	mods := map[string]bool{}
	for _, l := range s["modules"] {
		mods[l] = true
	}
	procnet := map[string]bool{}
	for _, l := range s["procnet"] {
		procnet[strings.TrimSpace(l)] = true
	}
	syms := map[string]bool{}
	for _, l := range s["kallsyms"] {
		if f := strings.Fields(l); len(f) >= 3 {
			syms[f[2]] = true
		}
	}
	for _, p := range feature.All {
		var why []string
		if p.ProcNet != "" && procnet[p.ProcNet] {
			why = append(why, "/proc/net/"+p.ProcNet+" exists")
		}
		if mods["loaded "+p.Module] || mods["sysmodule "+p.Module] {
			why = append(why, "module "+p.Module+" loaded")
		}
		if mods["builtin "+p.Module] {
			why = append(why, p.Module+" in modules.builtin")
		}
		switch config[p.Config] {
		case "y":
			why = append(why, p.Config+"=y")
		case "m":
			why = append(why, p.Config+"=m")
		}
		for _, l := range s["loadable"] {
			base := l[strings.LastIndex(l, "/")+1:]
			if strings.HasPrefix(base, p.Module+".ko") {
				why = append(why, "loadable "+l)
				break
			}
		}
		if syms[p.Symbol] {
			why = append(why, "kernel symbol "+p.Symbol)
		}
		if len(why) > 0 {
			feat.Present[p.Name] = true
			feat.Detail[p.Name] = strings.Join(why, "; ")
			continue
		}
		if config[p.Config] == "n" {
			feat.Detail[p.Name] = p.Config + " is not set"
		} else {
			feat.Detail[p.Name] = fmt.Sprintf("no sign of %s: not loaded, not built in, no module file, no kernel symbol %s", p.Module, p.Symbol)
		}
	}
	return feat
}
