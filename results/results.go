package results

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/overlab/overlab/explain"
)

// SchemaVersion is bumped only when a field below changes meaning or is removed.
const SchemaVersion = 1

// Expectation values of Probe.Expect.
const (
	ExpectReachable   = "reachable"
	ExpectUnreachable = "unreachable"
)

// Probe kinds.
const (
	KindICMP = "icmp"
	KindTCP  = "tcp"
	KindUDP  = "udp"
	KindDNS  = "dns"
	KindHTTP = "http"
)

// Finding severities.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// Document is one check run. Field names are part of the public contract.
type Document struct {
	SchemaVersion int       `json:"schema_version"`
	Lab           string    `json:"lab,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	DurationMS    int64     `json:"duration_ms"`
	Hosts         []Host    `json:"hosts"`
	Networks      []Network `json:"networks"`
	Probes        []Probe   `json:"probes"`
	Findings      []Finding `json:"findings"`
	// Diagnoses name the pattern behind the failed probes and its likely
	// cause (added in schema 1; absent in older documents).
	Diagnoses []Diagnosis `json:"diagnoses,omitempty"`
	// NotRun says why the lab set up and probed nothing on these hosts (a
	// kernel feature they lack); absent when it ran.
	NotRun string `json:"not_run,omitempty"`
	// Faults are the lab's faults, made for the check and healed after
	// it, and the diagnoses the lab expects of them (a fault lab's run).
	Faults *FaultRun `json:"faults,omitempty"`
	// Explain is what `overlab explain` shows of each lab network on every
	// host, gathered after the probes: the Linux objects behind it.
	Explain []explain.View `json:"explain,omitempty"`
	Summary Summary        `json:"summary"`
}

// Host is what the check learnt of one inventory host.
type Host struct {
	Name           string `json:"name"`
	Address        string `json:"address"`
	EngineVersion  string `json:"engine_version"`
	Docker0Subnet  string `json:"docker0_subnet"`
	Docker0Gateway string `json:"docker0_gateway"`
	SwarmRole      string `json:"swarm_role"`
	Error          string `json:"error,omitempty"`
}

// Network is one lab network as created on the hosts.
type Network struct {
	Name   string `json:"name"`
	Driver string `json:"driver"`
	Scope  string `json:"scope"`
	Subnet string `json:"subnet"`
	// SubnetIPv6 is an IPv6 network's IPv6 subnet.
	SubnetIPv6 string `json:"subnet_ipv6,omitempty"`
}

// Probe is one observation: from the probe on From, reach To (Target) by Kind.
type Probe struct {
	Network   string  `json:"network"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	Target    string  `json:"target"`
	Kind      string  `json:"kind"`
	Expect    string  `json:"expect"`
	Reachable bool    `json:"reachable"`
	OK        bool    `json:"ok"`
	RTTMS     float64 `json:"rtt_ms"`
	Tries     int     `json:"tries,omitempty"`
	Error     string  `json:"error,omitempty"`
	// Note explains the rule a lab expectation teaches (why unreachable, say).
	Note string `json:"note,omitempty"`
	// Evidence is the raw output behind a failed probe, kept for the run history.
	Evidence string `json:"evidence,omitempty"`
	// Reproduce is the command that does this probe by hand on the source
	// host ("node1$ docker exec ... ping -c 3 -W 1 10.200.0.10").
	Reproduce string `json:"reproduce,omitempty"`
	// Family is "ipv6" for a probe over IPv6, absent for IPv4 (as in every
	// document written before IPv6 probes were).
	Family string `json:"family,omitempty"`
	// Engines is the engine range of the lab row the probe comes from,
	// when the row has one (">= 28.0").
	Engines string `json:"engines,omitempty"`
	// Healthy is what the lab expects of this probe without its faults,
	// set where a fault lab expects something else under them (Expect).
	Healthy string `json:"healthy,omitempty"`
}

// Broken reports whether the probe shows something wrong with the network:
// it did not behave as expected, or it is unreachable where the lab without
// its faults expects it reachable (a fault lab's expected failure).
func (p Probe) Broken() bool {
	return !p.OK || (p.Healthy == ExpectReachable && !p.Reachable)
}

// Finding is a fact about the hosts worth telling (address conflicts, missing
// kernel features) that is not a probe.
type Finding struct {
	Severity string `json:"severity"`
	Host     string `json:"host"`
	Message  string `json:"message"`
}

// Diagnosis is one failure pattern, what probably causes it and how to fix
// it, with the probes that show it.
type Diagnosis struct {
	Pattern  string   `json:"pattern"`
	Hosts    []string `json:"hosts"`
	Networks []string `json:"networks"`
	Cause    string   `json:"cause"`
	Evidence string   `json:"evidence"`
	Fix      string   `json:"fix"`
	// Ambiguous: the probes fit more than one cause; Doctor names the
	// `overlab doctor` checks that tell them apart.
	Ambiguous bool     `json:"ambiguous,omitempty"`
	Doctor    []string `json:"doctor,omitempty"`
	// DoctorFindings are what those checks found, when check ran them.
	DoctorFindings []string `json:"doctor_findings,omitempty"`
}

// Summary counts probes by outcome.
type Summary struct {
	Total  int `json:"total"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Summarize recomputes d.Summary from d.Probes.
func (d *Document) Summarize() {
	s := Summary{Total: len(d.Probes)}
	for _, p := range d.Probes {
		if p.OK {
			s.Passed++
		} else {
			s.Failed++
		}
	}
	d.Summary = s
}

// Failed reports whether any probe did not behave as expected, or a fault
// lab's run did not go as the lab says (a fault not made or not healed, a
// diagnosis not found or not expected).
func (d *Document) Failed() bool { return d.Summary.Failed > 0 || d.Faults.Failed() }

// Encode writes d as indented JSON.
func (d *Document) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// Decode reads a document and refuses one of another schema version.
func Decode(r io.Reader) (*Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	if d.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("results schema_version %d, this overlab reads %d", d.SchemaVersion, SchemaVersion)
	}
	return &d, nil
}

// ReadFile decodes the document stored at path.
func ReadFile(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}
