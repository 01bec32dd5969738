package blueprint

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/results"
)

// lacking maps each kernel feature to the hosts that lack it.
type lacking map[feature.Name][]string

func lackingOn(hosts []Host, facts map[string]*cluster.Facts) lacking {
	lack := lacking{}
	for _, h := range hosts {
		if f := facts[h.Name]; f != nil {
			for _, ft := range f.Features.Lacking() {
				lack[ft.Name] = append(lack[ft.Name], h.Name)
			}
		}
	}
	return lack
}

func (lack lacking) on(n feature.Name) string { return strings.Join(lack[n], ", ") }

// capabilities refuses what these hosts cannot do and returns the findings
// that say what they lack. Limits are findings, never failed probes.
func capabilities(l *lab.Lab, lack lacking) (dnsrr bool, findings []results.Finding, err error) {
	var errs *multierror.Error
	if len(lack[feature.IPVS]) > 0 {
		dnsrr = true
		findings = append(findings, results.Finding{Severity: results.SeverityInfo, Host: lack.on(feature.IPVS),
			Message: "no IPVS in the kernel: services use DNS round robin (endpoint mode dnsrr) instead of a virtual IP, and published service ports use host mode (the ingress routing mesh needs IPVS)"})
		for _, w := range l.Workloads {
			for _, p := range w.Ports {
				if p.Mode == lab.PortModeIngress {
					errs = multierror.Append(errs, fmt.Errorf("workload %q publishes %d in ingress mode, but %s have no IPVS: use mode: host", w.Name, p.Published, lack.on(feature.IPVS)))
				}
			}
		}
	}
	for i := range l.Networks {
		n := &l.Networks[i]
		if n.Default {
			continue
		}
		for _, need := range netdriver.Of(n.Driver).Needs(n) {
			if len(lack[need.Feature]) > 0 {
				errs = multierror.Append(errs, fmt.Errorf(need.Message, n.Name, lack.on(need.Feature)))
			}
		}
	}
	for _, n := range []feature.Name{feature.ESP, feature.VLAN} {
		if len(lack[n]) > 0 {
			findings = append(findings, results.Finding{Severity: results.SeverityInfo, Host: lack.on(n), Message: feature.Get(n).Lacking()})
		}
	}
	return dnsrr, findings, errs.ErrorOrNil()
}

// unmet says which of the lab's required features some host lacks, as
// findings: such a lab is not set up nor probed there, and that is no
// failure (the local provider's hosts share a kernel without IPVS, ESP or
// 802.1q; real VMs have them).
func unmet(l *lab.Lab, hosts []Host, facts map[string]*cluster.Facts) []results.Finding {
	var out []results.Finding
	for _, req := range l.Requires {
		var on []string
		for _, h := range hosts {
			if f := facts[h.Name]; f != nil && !f.Features.Has(req) {
				on = append(on, h.Name)
			}
		}
		if len(on) > 0 {
			out = append(out, results.Finding{Severity: results.SeverityInfo, Host: strings.Join(on, ", "),
				Message: fmt.Sprintf("lab %s needs %s: %s; the lab is not set up or probed here (real VMs have it: overlab vagrant up)", l.Name, feature.Get(req).Title, feature.Get(req).Lacking())})
		}
	}
	return out
}
