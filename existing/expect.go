package existing

import (
	"fmt"
	"os"
	"strings"

	"github.com/overlab/overlab/lab"
)

// ProbeWorkload is how an expectations file names the probe on a network:
// "probe" is the probe of the row's network, "probe@NETWORK" that of
// NETWORK.
const ProbeWorkload = "probe"

// LoadExpect reads a file of expectations in the lab format (only expect:
// rows) for a check of existing networks.
func LoadExpect(path string) (*lab.Lab, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read expectations: %w", err)
	}
	l, err := lab.Decode(data, path)
	if err != nil {
		return nil, err
	}
	if len(l.Networks) > 0 || len(l.Workloads) > 0 || len(l.Requires) > 0 {
		return nil, fmt.Errorf("%s: an expectations file for --networks holds expect: rows only (the networks are the ones named, the probes are overlab's: %q on each)", path, ProbeWorkload)
	}
	if len(l.Expect) == 0 {
		return nil, fmt.Errorf("%s: no expect: rows", path)
	}
	return l, nil
}

// WithExpect is l with the file's expectations instead of the defaults,
// their probe names resolved to this run's probes; problems keep the
// file's line numbers.
func (f *Found) WithExpect(l *lab.Lab, rows *lab.Lab, run string) (*lab.Lab, error) {
	out := *l
	out.AdoptExpect(rows)
	out.Expect = append([]lab.Expectation(nil), rows.Expect...)
	var bad []string
	for i := range out.Expect {
		e := &out.Expect[i]
		var err error
		if e.From.Workload, err = f.resolveProbe(e.From.Workload, e.Network, run); err != nil {
			bad = append(bad, fmt.Sprintf("%s: expect #%d: from.workload: %v", rows.Source, i+1, err))
		}
		if e.To.Workload != "" {
			if e.To.Workload, err = f.resolveProbe(e.To.Workload, e.Network, run); err != nil {
				bad = append(bad, fmt.Sprintf("%s: expect #%d: to.workload: %v", rows.Source, i+1, err))
			}
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(bad, "\n"))
	}
	return &out, out.Validate()
}

func (f *Found) resolveProbe(name, network, run string) (string, error) {
	net, ok := strings.CutPrefix(name, ProbeWorkload+"@")
	switch {
	case name == ProbeWorkload && network == "":
		return "", fmt.Errorf("%q needs the row's network: (which network's probe?), or write %s@NETWORK", name, ProbeWorkload)
	case name == ProbeWorkload:
		net, ok = network, true
	case !ok:
		return "", fmt.Errorf("%q: the workloads here are the probes, %s or %s@NETWORK", name, ProbeWorkload, ProbeWorkload)
	}
	i := f.networkIndex(net)
	if i < 0 {
		return "", fmt.Errorf("%q: %s is not one of the networks checked", name, net)
	}
	return probeName(run, i), nil
}
