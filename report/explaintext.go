package report

import (
	"fmt"
	"io"

	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/netdriver"
)

// ExplainText prints each host's objects, grouped by namespace, each with
// the command that shows it by hand, after a one-line path of a packet.
func ExplainText(w io.Writer, v explain.View) error {
	head := fmt.Sprintf("%s: %s network", v.Network, v.Driver)
	if v.Subnet != "" {
		head += " " + v.Subnet
	}
	if v.VNI != "" {
		head += ", VXLAN ID " + v.VNI
	}
	fmt.Fprintf(w, "%s\n%s\n", head, netdriver.Of(v.Driver).Path())
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
