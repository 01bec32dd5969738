package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/diagnose"
	"github.com/overlab/overlab/doctor"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/results"
)

// doctorChecks maps what a diagnosis asks to tell apart to doctor's checks.
var doctorChecks = map[string][]string{
	diagnose.DoctorPorts:    {doctor.CheckPorts, doctor.CheckFirewall},
	diagnose.DoctorMTU:      {doctor.CheckMTU},
	diagnose.DoctorLabAddr:  {doctor.CheckLabAddr},
	diagnose.DoctorFeatures: {doctor.CheckFeatures},
}

// doctorAmbiguous runs, once for all ambiguous diagnoses, the doctor checks
// they name on the hosts they name, and attaches what doctor found.
func (r *Runner) doctorAmbiguous(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, doc *results.Document) {
	var only, checks []string
	for _, d := range doc.Diagnoses {
		if !d.Ambiguous {
			continue
		}
		for _, h := range d.Hosts {
			if !slices.Contains(only, h) {
				only = append(only, h)
			}
		}
		for _, n := range d.Doctor {
			for _, ch := range doctorChecks[n] {
				if !slices.Contains(checks, ch) {
					checks = append(checks, ch)
				}
			}
		}
	}
	if len(checks) == 0 || !r.doctor {
		return
	}
	ph := r.progress.Start("doctor")
	opts := []doctor.Option{doctor.WithLogger(r.logger), doctor.WithHosts(only...), doctor.WithChecks(checks...)}
	if r.probeBinary != "" {
		opts = append(opts, doctor.WithBinary(r.probeBinary))
	}
	rep := doctor.Run(ctx, c, hosts, opts...)
	ph.End(nil)
	for i := range doc.Diagnoses {
		d := &doc.Diagnoses[i]
		if !d.Ambiguous {
			continue
		}
		d.DoctorFindings = doctorLines(rep, d.Hosts)
		narrow(d, rep)
	}
}

// narrow: when the probes left two or more hosts in doubt and doctor found
// problems on exactly one of them, the diagnosis names that one.
func narrow(d *results.Diagnosis, rep *doctor.Report) {
	if len(d.Hosts) < 2 {
		return
	}
	var found []string
	for _, h := range d.Hosts {
		for _, p := range rep.Problems {
			if strings.HasPrefix(p, h+": ") && !slices.Contains(found, h) {
				found = append(found, h)
			}
		}
	}
	if len(found) == 1 {
		d.Cause += fmt.Sprintf("; doctor finds the problem on %s (of %s)", found[0], strings.Join(d.Hosts, ", "))
		d.Hosts = found
	}
}

// doctorLines are doctor's problems that name one of hosts, or what it
// checked when none does.
func doctorLines(rep *doctor.Report, hosts []string) []string {
	var out []string
	for _, p := range rep.Problems {
		words := strings.FieldsFunc(p, func(r rune) bool { return r == ' ' || r == ',' || r == ':' })
		if slices.ContainsFunc(hosts, func(h string) bool { return slices.Contains(words, h) }) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("nothing wrong found (%s)", rep))
	}
	return out
}

// runPreflight runs doctor's network checks before up changes anything.
func (r *Runner) runPreflight(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host) error {
	if !r.preflight {
		return nil
	}
	ph := r.progress.Start("doctor")
	opts := []doctor.Option{doctor.WithLogger(r.logger), doctor.WithChecks(doctor.CheckPorts, doctor.CheckFirewall, doctor.CheckMTU, doctor.CheckClock)}
	if r.probeBinary != "" {
		opts = append(opts, doctor.WithBinary(r.probeBinary))
	}
	rep := doctor.Run(ctx, c, hosts, opts...)
	for _, p := range rep.NotChecked {
		ph.Infof("not checked: %s", p)
	}
	if len(rep.Problems) == 0 {
		ph.End(nil)
		return nil
	}
	err := fmt.Errorf("doctor found %d problems before up changed anything:\n  %s", len(rep.Problems), strings.Join(rep.Problems, "\n  "))
	ph.End(err)
	return err
}
