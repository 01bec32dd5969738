package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/overlab/overlab/doctor"
)

func mark(status string) string {
	switch status {
	case doctor.OK:
		return "✓"
	case doctor.Warning:
		return "⚠"
	case doctor.Error:
		return "?"
	}
	return "✗"
}

// DoctorTable prints the doctor's per-host checks, one row per ordered pair
// with a column per port and the path MTU, then the problems with their fix.
func DoctorTable(w io.Writer, r *doctor.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	byHost, pairs := groupDoctorResults(r.Results)
	doctorHostRows(tw, r.Hosts, byHost)
	doctorPairRows(tw, r.Hosts, pairs)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, list := range []struct {
		title, mark string
		lines       []string
	}{
		{"Problems", "✗", r.Problems},
		{"Not checked", "?", r.NotChecked},
		{"Warnings", "⚠", r.Warnings},
	} {
		if len(list.lines) > 0 {
			fmt.Fprintf(w, "\n%s\n", list.title)
			for _, l := range list.lines {
				fmt.Fprintf(w, "  %s %s\n", list.mark, l)
			}
		}
	}
	_, err := fmt.Fprintf(w, "\n%s %s\n", map[bool]string{true: "✓", false: "✗"}[r.ExitCode() == 0], r)
	return err
}

// groupDoctorResults sorts results into per-host checks (host -> check ->
// results; "lab" for the lab-wide ones) and per-pair items ((from, to) ->
// item -> result).
func groupDoctorResults(results []doctor.Result) (map[string]map[string][]doctor.Result, map[[2]string]map[string]doctor.Result) {
	byHost := map[string]map[string][]doctor.Result{}
	pairs := map[[2]string]map[string]doctor.Result{}
	for _, x := range results {
		if x.From != "" {
			k := [2]string{x.From, x.Host}
			if pairs[k] == nil {
				pairs[k] = map[string]doctor.Result{}
			}
			pairs[k][x.Item] = x
			continue
		}
		if byHost[x.Host] == nil {
			byHost[x.Host] = map[string][]doctor.Result{}
		}
		byHost[x.Host][x.Check] = append(byHost[x.Host][x.Check], x)
	}
	return byHost, pairs
}

// doctorHostRows prints a row per host, then the lab's address plan.
func doctorHostRows(tw io.Writer, hosts []string, byHost map[string]map[string][]doctor.Result) {
	fmt.Fprintf(tw, "HOST\tLAB ADDRESS\tENGINE\tCLOCK\tFORWARD\tKERNEL FEATURES\n")
	for _, h := range append(append([]string{}, hosts...), "lab") {
		m := byHost[h]
		if m == nil {
			continue
		}
		if h == "lab" {
			for _, x := range m[doctor.CheckAddrPlan] {
				fmt.Fprintf(tw, "\naddress space: %s %s\n", mark(x.Status), x.Detail)
			}
			continue
		}
		if ssh := m[doctor.CheckSSH]; len(ssh) > 0 {
			fmt.Fprintf(tw, "%s\t? unreachable over SSH\t\t\t\t\n", h)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h, doctorCell(m[doctor.CheckLabAddr]), doctorCell(m[doctor.CheckEngine]), doctorCell(m[doctor.CheckClock]), doctorCell(m[doctor.CheckForward]), features(m[doctor.CheckFeatures]))
		for _, x := range m[doctor.CheckAddrPlan] {
			fmt.Fprintf(tw, "%s\taddress space: %s %s\t\t\t\t\n", h, mark(x.Status), x.Detail)
		}
	}
}

// doctorPairRows prints a row per ordered pair of hosts that was checked.
func doctorPairRows(tw io.Writer, hosts []string, pairs map[[2]string]map[string]doctor.Result) {
	if len(pairs) == 0 {
		return
	}
	fmt.Fprintf(tw, "\nFROM → TO\t2377/tcp\t7946/tcp\t7946/udp\t4789/udp\tPATH MTU\n")
	for _, s := range hosts {
		for _, t := range hosts {
			m := pairs[[2]string{s, t}]
			if m == nil {
				continue
			}
			cols := []string{s + " → " + t}
			for _, item := range []string{"2377/tcp", "7946/tcp", "7946/udp", "4789/udp", "path MTU"} {
				cols = append(cols, pairCell(m, item))
			}
			fmt.Fprintf(tw, "%s\n", strings.Join(cols, "\t"))
		}
	}
}

func doctorCell(rs []doctor.Result) string {
	if len(rs) == 0 {
		return "-"
	}
	x := rs[0]
	d := x.Detail
	if x.Check == doctor.CheckLabAddr && x.Status == doctor.OK {
		d = strings.TrimPrefix(x.Item, "lab address ") + " " + d
	}
	if len(d) > 48 {
		d = d[:47] + "…"
	}
	return mark(x.Status) + " " + d
}

func features(rs []doctor.Result) string {
	var parts []string
	for _, x := range rs {
		parts = append(parts, mark(x.Status)+x.Item)
	}
	return strings.Join(parts, " ")
}

func pairCell(m map[string]doctor.Result, item string) string {
	x, ok := m[item]
	if !ok {
		if item == "2377/tcp" {
			return "- (worker)"
		}
		if x, ok = m["ports"]; !ok {
			return "-"
		}
	}
	switch {
	case item == "path MTU" && x.Status != doctor.Error:
		n := x.Detail
		if i := strings.Index(n, " bytes"); i > 0 {
			n = n[:i]
		}
		return mark(x.Status) + " " + n
	case x.State != "":
		return mark(x.Status) + " " + x.State
	}
	return mark(x.Status)
}
