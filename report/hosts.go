package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/output"
)

// HostRow is one host's line of `overlab hosts`.
type HostRow struct {
	Name    string         `json:"name"`
	Address string         `json:"address"`
	Role    string         `json:"role"`
	SSH     bool           `json:"ssh_ok"`
	Facts   *cluster.Facts `json:"facts,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// HostRows are the rows of `overlab hosts`: each inventory host with what
// it said, or why it did not answer.
func HostRows(hosts []inventory.Host, down map[string]error, facts map[string]*cluster.Facts, errs map[string]error) []HostRow {
	var out []HostRow
	for _, h := range hosts {
		r := HostRow{Name: h.Name, Address: h.Address, Role: h.Role, Facts: facts[h.Name]}
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

// Hosts prints the rows in format; JSON and YAML print the same document,
// {hosts: [...]}.
func Hosts(w io.Writer, format string, reports []HostRow) error {
	view := struct {
		Hosts []HostRow `json:"hosts"`
	}{reports}
	return output.Print(w, format, view, func(w io.Writer) error { return writeHostsTable(w, reports) })
}

func writeHostsTable(w io.Writer, reports []HostRow) error {
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
func featureNotes(reports []HostRow) []string {
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
