package doctor

import (
	"fmt"
	"strings"
)

// firewallResults reads the host's iptables rules for what drops Docker's
// ports or everything on the lab interface. It is what tells a blocked port
// that a running engine holds (the listener cannot test it) from an open one.
func firewallResults(host, iface string, rules string) []Result {
	var out []Result
	for _, r := range strings.Split(rules, "\n") {
		f := strings.Fields(r)
		if len(f) < 2 || f[0] != "-A" || (!strings.HasSuffix(r, "-j DROP") && !strings.Contains(r, "-j REJECT")) {
			continue
		}
		onLab := iface != "" && (hasArg(f, "-i", iface) || hasArg(f, "-o", iface))
		dport, proto := arg(f, "--dport"), arg(f, "-p")
		for _, p := range ports {
			if dport != fmt.Sprint(p.num) || proto != p.proto {
				continue
			}
			if above, _, ok := strings.Cut(arg(f, "--length"), ":"); ok {
				// A length match drops only large packets: an MTU limit.
				out = append(out, Result{Check: CheckFirewall, Host: host, Item: p.String() + " of " + above + " bytes or more", Status: Problem, State: "dropped",
					Detail: "rule " + r, Fix: fmt.Sprintf("%s packets of %s bytes or more are dropped by this rule, as by a link whose MTU is smaller: remove it (overlab fault heal %s if overlab made it)", p, above, host)})
				continue
			}
			out = append(out, Result{Check: CheckFirewall, Host: host, Item: p.String(), Status: Problem, State: "dropped",
				Detail: "rule " + r, Fix: fmt.Sprintf("%s (%s) is dropped by this rule: remove it or accept the lab hosts before it (overlab fault heal %s if overlab made it)", p, p.what, host)})
		}
		if onLab && dport == "" && proto == "" {
			out = append(out, Result{Check: CheckFirewall, Host: host, Item: "lab interface " + iface, Status: Problem, State: "dropped",
				Detail: "rule " + r, Fix: fmt.Sprintf("every packet on %s matching this rule is dropped: remove it (overlab fault heal %s if overlab made it)", iface, host)})
		}
	}
	return out
}

func arg(f []string, name string) string {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == name {
			return f[i+1]
		}
	}
	return ""
}

func hasArg(f []string, name, want string) bool { return arg(f, name) == want }
