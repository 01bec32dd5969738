package explain

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints each host's objects, grouped by namespace, each with
// the command that shows it by hand, after a one-line path of a packet.
func (v View) WriteText(w io.Writer) error {
	head := fmt.Sprintf("%s: %s network", v.Network, v.Driver)
	if v.Subnet != "" {
		head += " " + v.Subnet
	}
	if v.VNI != "" {
		head += ", VXLAN ID " + v.VNI
	}
	fmt.Fprintf(w, "%s\n%s\n", head, Path(v.Driver))
	for _, h := range v.Hosts {
		fmt.Fprintf(w, "\n%s\n", h.Host)
		if h.Error != "" {
			fmt.Fprintf(w, "  ✗ %s\n", h.Error)
			continue
		}
		where := ""
		for _, o := range h.Objects {
			if o.Where != where {
				where = o.Where
				fmt.Fprintf(w, "  [%s]\n", where)
			}
			line := fmt.Sprintf("    %-8s %s: %s", o.Kind, o.Name, o.Detail)
			if o.Peer != "" {
				line += "\n             ⇄ " + o.Peer
			}
			fmt.Fprintf(w, "%s\n             $ %s\n", line, o.Command)
		}
	}
	return nil
}

// Path is the way a packet goes between two containers of such a network.
func Path(driver string) string {
	switch driver {
	case "overlay":
		return "container eth0 → veth → br0 (overlay netns) → vxlan0 (VNI) → UDP 4789 over the host's lab interface → the other host's vxlan0 → br0 → veth → container"
	case "bridge":
		return "container eth0 → veth → Linux bridge on the host → veth → container (same host); to elsewhere: routed and masqueraded by the host (iptables)"
	case "macvlan":
		return "container macvlan child (own MAC) → parent interface → the lab network, bypassing the host's IP stack and iptables"
	}
	return strings.TrimSpace(driver + " network")
}
