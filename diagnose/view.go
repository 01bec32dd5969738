package diagnose

import (
	"slices"
	"strings"

	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/results"
)

// obs is one probe with its endpoints resolved to inventory hosts.
type obs struct {
	results.Probe
	idx      int
	from, to string // inventory hosts; "" when not a host (a service name)
	driver   string
}

func (o obs) involves(h string) bool { return o.from == h || o.to == h }

// other is the host on the far side from h.
func (o obs) other(h string) string {
	if o.from == h {
		return o.to
	}
	return o.from
}

// view is the document as the classifier reads it.
type view struct {
	doc    *results.Document
	all    []obs // expected-reachable probes between two different hosts, or to a name
	down   map[string]string
	driver map[string]string
}

func newView(d *results.Document) *view {
	v := &view{doc: d, down: map[string]string{}, driver: map[string]string{}}
	names := map[string]bool{}
	byAddr := map[string]string{}
	for _, h := range d.Hosts {
		names[h.Name] = true
		if h.Address != "" {
			byAddr[h.Address] = h.Name
		}
		if h.Error != "" {
			v.down[h.Name] = h.Error
		}
	}
	for _, n := range d.Networks {
		v.driver[n.Name] = n.Driver
	}
	host := func(ep string) string {
		if _, h, ok := strings.Cut(ep, "@"); ok {
			ep = h
		}
		if names[ep] {
			return ep
		}
		return byAddr[ep]
	}
	for i, p := range d.Probes {
		// A fault lab's probe is judged against what the lab expects
		// without its faults: a diagnosis says what the faults broke.
		if p.Healthy != "" {
			p.Expect = p.Healthy
			p.OK = p.Reachable == (p.Healthy == results.ExpectReachable)
		}
		v.all = append(v.all, obs{Probe: p, idx: i, from: host(p.From), to: host(p.To), driver: v.driver[p.Network]})
	}
	return v
}

func (o obs) failed() bool { return !o.OK && o.Expect == results.ExpectReachable }

func (o obs) leaked() bool { return !o.OK && o.Expect == results.ExpectUnreachable && o.Reachable }

func (o obs) isOverlay() bool { return netdriver.Of(o.driver).Traits().Tunnel }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func networksOf(os []obs) []string {
	m := map[string]bool{}
	for _, o := range os {
		m[o.Network] = true
	}
	return sortedKeys(m)
}

func kindsOf(os []obs) []string {
	m := map[string]bool{}
	for _, o := range os {
		m[o.Kind] = true
	}
	return sortedKeys(m)
}
