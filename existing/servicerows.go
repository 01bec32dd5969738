package existing

import (
	"fmt"

	"github.com/overlab/overlab/lab"
)

// serviceRows are the expectations for one service, from the probe of each
// named network it is on: its names in Docker's DNS, and its port on the
// name, on the virtual IP (where there is one and the hosts balance it)
// and on each running task, so that the matrix shows which host cannot
// reach which task.
func (f *Found) serviceRows(run string, s Service) []lab.Expectation {
	var out []lab.Expectation
	for _, net := range s.Networks {
		probe := probeName(run, f.networkIndex(net))
		row := func(to lab.Target, kind, note string) {
			out = append(out, lab.Expectation{From: lab.Endpoint{Workload: probe}, To: to, Network: net, Kinds: []string{kind}, Reachable: true, Note: note})
		}
		row(lab.Target{Name: s.Ref.Name}, lab.ProbeDNS, fmt.Sprintf("Docker's DNS answers for service %s on %s.", s.Ref.Name, net))
		row(lab.Target{Name: "tasks." + s.Ref.Name}, lab.ProbeDNS, fmt.Sprintf("tasks.%s lists every running task of %s.", s.Ref.Name, s.Ref.Name))
		if s.Ref.Port == 0 {
			continue
		}
		kind := s.Ref.Proto
		row(lab.Target{Name: s.Ref.Name, Port: s.Ref.Port}, kind, fmt.Sprintf("%s answers on %d/%s by its name.", s.Ref.Name, s.Ref.Port, kind))
		if vip := s.VIPs[net]; s.VIP && vip != "" && f.IPVS {
			row(lab.Target{Address: vip, Port: s.Ref.Port, Owner: lab.Owner{Workload: s.Ref.Name + " VIP"}}, kind,
				fmt.Sprintf("%s's virtual IP on %s, balanced by IPVS on the source host.", s.Ref.Name, net))
		}
		for _, t := range s.Tasks {
			if a := t.Addrs[net]; a != "" {
				row(lab.Target{Address: a, Port: s.Ref.Port, Owner: lab.Owner{Workload: s.Ref.Name, Host: t.Host}}, kind,
					fmt.Sprintf("Each task of %s answers on %d/%s at its own address: one that does not is the one a client cannot reach.", s.Ref.Name, s.Ref.Port, kind))
			}
		}
	}
	return out
}

func (f *Found) networkIndex(name string) int {
	for i, n := range f.Networks {
		if n.Name == name {
			return i
		}
	}
	return -1
}
