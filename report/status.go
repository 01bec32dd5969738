package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/overlab/overlab/runner"
)

// Status prints what `overlab status` found: the labs up, the swarm's
// nodes, the lab's networks on each host and its containers.
func Status(w io.Writer, v *runner.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	labs := strings.Join(v.LabsUp, ", ")
	if labs == "" {
		labs = "none"
	}
	fmt.Fprintf(tw, "LABS UP: %s\n\n", labs)
	fmt.Fprintf(tw, "SWARM NODE\tHOSTNAME\tROLE\tSTATE\tADDRESS\n")
	if len(v.Nodes) == 0 {
		fmt.Fprintf(tw, "(no swarm)\t\t\t\t\n")
	}
	for _, n := range v.Nodes {
		role := n.Role
		if n.Leader {
			role += " (leader)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", dash(n.Host), n.Hostname, role, n.State, n.Addr)
	}
	fmt.Fprintf(tw, "\nNETWORK\tHOST\tDRIVER\tSCOPE\tSUBNET\n")
	for _, n := range v.Networks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, n.Host, n.Driver, n.Scope, dash(n.Subnet))
	}
	fmt.Fprintf(tw, "\nWORKLOAD\tHOST\tADDRESSES\t\t\n")
	for _, t := range v.Tasks {
		var ips []string
		for n, ip := range t.IPs {
			ips = append(ips, n+"="+ip)
		}
		sort.Strings(ips)
		fmt.Fprintf(tw, "%s\t%s\t%s\t\t\n", t.Workload, dash(t.Host), strings.Join(ips, " "))
	}
	for _, e := range v.Errors {
		fmt.Fprintf(tw, "\nERROR: %s\n", e)
	}
	return tw.Flush()
}
