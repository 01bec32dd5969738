package report

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/lab"
)

// familyAttrs are a network's IPv6 and gateway-mode attributes.
func familyAttrs(n lab.Network) []string {
	var out []string
	switch {
	case n.IPv6 && n.SubnetIPv6 != "":
		out = append(out, "IPv6 subnet "+n.SubnetIPv6)
	case n.IPv6:
		out = append(out, "IPv6 subnet: chosen free")
	}
	if n.GatewayModeIPv4 != "" {
		out = append(out, "gateway mode "+n.GatewayModeIPv4)
	}
	if n.GatewayModeIPv6 != "" {
		out = append(out, "IPv6 gateway mode "+n.GatewayModeIPv6)
	}
	return out
}

// familiesText names a row's address families when it says them or has
// IPv6 in them (a row over IPv4 only reads as it always did).
func familiesText(l *lab.Lab, e *lab.Expectation) string {
	fs := l.RowFamilies(e)
	if len(e.Families) == 0 && len(fs) == 1 && fs[0] == lab.FamilyIPv4 {
		return ""
	}
	return " over " + strings.ReplaceAll(strings.Join(fs, ", "), "ipv", "IPv")
}

func enginesText(r string) string {
	if r == "" {
		return ""
	}
	return " on engines " + r
}

// writeRoutes lists the routes the lab adds.
func writeRoutes(b *strings.Builder, l *lab.Lab) {
	if len(l.Routes) == 0 {
		return
	}
	b.WriteString("\nRoutes (added on the hosts after up, removed by down):\n")
	for _, r := range l.Routes {
		fmt.Fprintf(b, "  on %s: to %s on %s, through %s's address\n", r.Host, r.Network, r.Via, r.Via)
		for _, line := range Wrap(r.Note, 72) {
			b.WriteString("       " + line + "\n")
		}
	}
}

// writeNotes prints the lab's notes, each with the engines it is for.
func writeNotes(b *strings.Builder, l *lab.Lab) {
	if len(l.Notes) == 0 {
		return
	}
	b.WriteString("\nNotes:\n")
	for _, n := range l.Notes {
		text := strings.TrimSpace(n.Text)
		if n.Engines != "" {
			text = "engines " + n.Engines + ": " + text
		}
		for i, line := range Wrap(text, 72) {
			lead := "    "
			if i == 0 {
				lead = "  • "
			}
			b.WriteString(lead + line + "\n")
		}
	}
}
