package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/session"
)

type hostsOptions struct {
	format string
}

func newHostsCommand(g *Globals) *cobra.Command {
	o := hostsOptions{}
	c := &cobra.Command{
		Use:   "hosts",
		Short: "Connect to every host and show its facts: engine, swarm, addresses, kernel features",
		Long: "Connect to every inventory host over SSH, talk to its Docker Engine through that connection and print what\n" +
			"each host is. Hosts that cannot be reached are reported while the others are still listed.\n" +
			"Exit code 0 when every host answered, 1 otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHosts(cmd, g, o)
		},
	}
	output.AddFormatFlag(c.Flags(), &o.format, "table", "json", "yaml")
	return c
}

// hostReport is one host's line of `overlab hosts`.
type hostReport struct {
	Name    string         `json:"name"`
	Address string         `json:"address"`
	Role    string         `json:"role"`
	SSH     bool           `json:"ssh_ok"`
	Facts   *cluster.Facts `json:"facts,omitempty"`
	Error   string         `json:"error,omitempty"`
}

func runHosts(cmd *cobra.Command, g *Globals, o hostsOptions) error {
	if err := output.CheckFormat(o.format, "table", "json", "yaml"); err != nil {
		return couldNotRun(err)
	}
	ctx := cmdContext(cmd)
	// Unreachable hosts are in c.Down and reported in the output.
	s, err := g.open(ctx, session.ReportsDown())
	if err != nil {
		return err
	}
	defer s.Close()
	c, hosts := s.Cluster, s.Hosts

	start := time.Now()
	errs := map[string]error{}
	facts, _ := c.Facts(ctx, func(host string, _ *cluster.Facts, err error) {
		if err != nil {
			errs[host] = err
		}
	})
	g.Logger().V(1).Infof("facts of %d hosts in %s", len(c.Nodes), time.Since(start).Round(time.Millisecond))

	reports := buildHostReports(hosts, c.Down, facts, errs)
	out := cmd.OutOrStdout()
	err = printHosts(out, o.format, reports)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range reports {
		if r.Error != "" {
			failed++
		}
	}
	if failed > 0 {
		return couldNotRunf("%d of %d hosts did not answer fully", failed, len(reports))
	}
	return nil
}

func buildHostReports(hosts []inventory.Host, down map[string]error, facts map[string]*cluster.Facts, errs map[string]error) []hostReport {
	var out []hostReport
	for _, h := range hosts {
		r := hostReport{Name: h.Name, Address: h.Address, Role: h.Role, Facts: facts[h.Name]}
		if err := down[h.Name]; err != nil {
			r.Error = err.Error()
		} else {
			r.SSH = true
			if err := errs[h.Name]; err != nil {
				r.Error = strings.TrimSpace(err.Error())
			}
		}
		out = append(out, r)
	}
	return out
}

// printHosts prints the reports; JSON and YAML print the same document,
// {hosts: [...]}.
func printHosts(w io.Writer, format string, reports []hostReport) error {
	view := struct {
		Hosts []hostReport `json:"hosts"`
	}{reports}
	return output.Print(w, format, view, func(w io.Writer) error { return writeHostsTable(w, reports) })
}

func writeHostsTable(w io.Writer, reports []hostReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tROLE\tSSH\tENGINE\tAPI\tOS\tKERNEL\tSWARM\tDOCKER0\tUNDERLAY\tFEATURES")
	for _, r := range reports {
		ssh := "no"
		if r.SSH {
			ssh = "ok"
		}
		f := r.Facts
		if f == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\n", r.Name, r.Address, r.Role, ssh)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.Name, r.Address, r.Role, ssh,
			dash(f.EngineVersion), dash(f.APIVersion), dash(f.OS), dash(strings.TrimSpace(f.Kernel+" "+f.Arch)),
			swarmCell(f), docker0Cell(f), underlayCell(f), featuresCell(f.Features))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var problems []string
	for _, r := range reports {
		if r.Error != "" {
			problems = append(problems, fmt.Sprintf("  %s: %s", r.Name, indentLines(r.Error, "    ")))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "\nErrors:\n%s\n", strings.Join(problems, "\n"))
	}
	if notes := featureNotes(reports); len(notes) > 0 {
		fmt.Fprintf(w, "\nNotes:\n%s\n", strings.Join(notes, "\n"))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func swarmCell(f *cluster.Facts) string {
	s := dash(f.SwarmState)
	if f.SwarmRole != "" {
		s = f.SwarmRole
	}
	if f.SwarmClusterID != "" {
		id := f.SwarmClusterID
		if len(id) > 12 {
			id = id[:12]
		}
		s += " (cluster " + id + ")"
	}
	return s
}

func docker0Cell(f *cluster.Facts) string {
	if f.Docker0Subnet == "" {
		return "-"
	}
	if f.Docker0Gateway == "" {
		return f.Docker0Subnet
	}
	return f.Docker0Subnet + " gw " + f.Docker0Gateway
}

func underlayCell(f *cluster.Facts) string {
	if f.UnderlayIface == "" {
		return "NOT FOUND"
	}
	return fmt.Sprintf("%s mtu %d", f.UnderlayIface, f.UnderlayMTU)
}

func featuresCell(f cluster.Features) string {
	var have, lack []string
	for _, ft := range feature.All {
		if f.Has(ft.Name) {
			have = append(have, string(ft.Name))
		} else {
			lack = append(lack, string(ft.Name))
		}
	}
	s := strings.Join(have, ",")
	if len(lack) > 0 {
		s = strings.TrimSpace(s + " (no " + strings.Join(lack, ",") + ")")
	}
	return s
}

// featureNotes says once per missing feature which hosts lack it and what
// that means for the labs.
func featureNotes(reports []hostReport) []string {
	var notes []string
	for _, ft := range feature.All {
		var lacking []string
		for _, r := range reports {
			if r.Facts != nil && r.Facts.Kernel != "" && !r.Facts.Features.Has(ft.Name) {
				lacking = append(lacking, r.Name)
			}
		}
		if len(lacking) > 0 {
			notes = append(notes, fmt.Sprintf("  no %s on %s: %s", ft.Name, strings.Join(lacking, ", "), ft.Without))
		}
	}
	return notes
}

func indentLines(s, indent string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+indent)
}
