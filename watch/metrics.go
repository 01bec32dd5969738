package watch

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/overlab/overlab/results"
)

// Metric names: part of the public contract (docs/watch.md, the Grafana
// dashboard and the alert rules in docs/ use them).
var (
	descProbeUp = prometheus.NewDesc("overlab_probe_up",
		"1 when the peer answered the probe in the last round, 0 when it did not or the probe could not run.",
		[]string{"network", "from", "to", "kind"}, nil)
	descProbeExpected = prometheus.NewDesc("overlab_probe_expected",
		"1 when the lab expects the peer to answer the probe, 0 when it expects no answer.",
		[]string{"network", "from", "to", "kind"}, nil)
	descRTT = prometheus.NewDesc("overlab_probe_rtt_seconds",
		"Round trip of the pair in the last round: its ICMP probe's, else its slowest answered probe's; absent when nothing answered.",
		[]string{"network", "from", "to"}, nil)
	descDuration = prometheus.NewDesc("overlab_check_duration_seconds",
		"How long the last check round took.", nil, nil)
	descChecks = prometheus.NewDesc("overlab_checks_total",
		"Check rounds that ran the probes since the watch started.", nil, nil)
	descUnexpected = prometheus.NewDesc("overlab_pairs_unexpected",
		"Pairs (from, to) of the network with at least one probe not as expected in the last round.",
		[]string{"network"}, nil)
	descHostUp = prometheus.NewDesc("overlab_host_up",
		"1 when overlab reaches the host over SSH and its Docker engine answers, else 0.",
		[]string{"host"}, nil)
	descLastCheck = prometheus.NewDesc("overlab_last_check_timestamp_seconds",
		"When the last check round ended, in seconds since the epoch.", nil, nil)
)

// collector builds the metrics from the state at scrape time: nothing is
// kept twice, and a pair that is no longer probed is no longer exported.
type collector struct{ s *State }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descProbeUp, descProbeExpected, descRTT, descDuration, descChecks, descUnexpected, descHostUp, descLastCheck} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	snap, _ := c.s.Current()
	for _, h := range snap.Hosts {
		ch <- prometheus.MustNewConstMetric(descHostUp, prometheus.GaugeValue, b2f(h.Up), h.Name)
	}
	ch <- prometheus.MustNewConstMetric(descChecks, prometheus.CounterValue, float64(snap.Probed))
	if snap.Doc == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descDuration, prometheus.GaugeValue, snap.Took.Seconds())
	ch <- prometheus.MustNewConstMetric(descLastCheck, prometheus.GaugeValue, float64(snap.Checked.UnixNano())/1e9)
	for _, p := range probeSeries(snap.Doc.Probes, snap.ToLabels) {
		ch <- prometheus.MustNewConstMetric(descProbeUp, prometheus.GaugeValue, b2f(p.Reachable), p.Network, p.From, p.To, p.Kind)
		ch <- prometheus.MustNewConstMetric(descProbeExpected, prometheus.GaugeValue, b2f(p.Expect == results.ExpectReachable), p.Network, p.From, p.To, p.Kind)
	}
	for _, pr := range pairs(snap.Doc) {
		if pr.rttOK {
			ch <- prometheus.MustNewConstMetric(descRTT, prometheus.GaugeValue, pr.rttMS/1000, pr.network, pr.from, pr.to)
		}
	}
	for _, n := range unexpectedByNetwork(snap.Doc) {
		ch <- prometheus.MustNewConstMetric(descUnexpected, prometheus.GaugeValue, float64(n.count), n.network)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// probeSeries are the probes with their "to" label (State.toLabels):
// unique, and the same from round to round.
func probeSeries(ps []results.Probe, toLabels []string) []results.Probe {
	out := make([]results.Probe, 0, len(ps))
	for i, p := range ps {
		if i < len(toLabels) {
			p.To = toLabels[i]
		}
		out = append(out, p)
	}
	return out
}

// pair is one (network, from, to) of the last round.
type pair struct {
	network, from, to string
	ok                bool
	rttMS             float64
	rttOK             bool
}

// pairs aggregates the probes per pair, in document order: a pair is as
// expected when every probe of it is, and its round trip is its ICMP
// probe's when it answered, else its slowest answered probe's (as the
// HTML report's cells).
func pairs(d *results.Document) []pair {
	idx := map[[3]string]int{}
	var out []pair
	icmp := map[int]bool{}
	for _, p := range d.Probes {
		k := [3]string{p.Network, p.From, p.To}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, pair{network: p.Network, from: p.From, to: p.To, ok: true})
		}
		pr := &out[i]
		pr.ok = pr.ok && p.OK
		if !p.Reachable || p.RTTMS <= 0 || icmp[i] {
			continue
		}
		if p.Kind == results.KindICMP {
			pr.rttMS, pr.rttOK, icmp[i] = p.RTTMS, true, true
		} else if p.RTTMS > pr.rttMS {
			pr.rttMS, pr.rttOK = p.RTTMS, true
		}
	}
	return out
}

type networkCount struct {
	network string
	count   int
}

// unexpectedByNetwork counts the pairs not as expected in each network,
// zero included: the document's networks first, then any other a probe
// names.
func unexpectedByNetwork(d *results.Document) []networkCount {
	idx := map[string]int{}
	var out []networkCount
	add := func(n string) int {
		if i, ok := idx[n]; ok {
			return i
		}
		idx[n] = len(out)
		out = append(out, networkCount{network: n})
		return idx[n]
	}
	for _, n := range d.Networks {
		add(n.Name)
	}
	for _, p := range pairs(d) {
		i := add(p.network)
		if !p.ok {
			out[i].count++
		}
	}
	return out
}

// newRegistry is the watch's own registry (never the global one): its
// state's metrics, and the process's and Go runtime's own (RSS, CPU).
func newRegistry(s *State) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return reg
}
