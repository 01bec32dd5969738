package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/probe"
	"github.com/overlab/overlab/results"
)

// Execer runs a command in a container; each host's engine is one.
type Execer interface {
	ContainerExecCreate(ctx context.Context, containerID string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, config container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
}

// Spec is what a check needs.
type Spec struct {
	// Blueprint holds the lab's probes, with the lab and the hosts.
	Blueprint *blueprint.Blueprint
	Instances []lab.Instance
	// Engines has an Execer per reachable host; HostErrors says why the
	// others cannot be reached.
	Engines    map[string]Execer
	HostErrors map[string]error
	// Per-target probe policy; UnreachableTimeout is the deadline of the
	// targets the lab expects to be unreachable (0: Timeout).
	Timeout            time.Duration
	UnreachableTimeout time.Duration
	Tries              int
	Parallel           int    // 0: the bound in ctx (fanout.WithLimit)
	ProbeBinary        string // path of the probe program inside probe containers
	// Authority gives the probes their token; nil: a new one for this run.
	Authority *Authority
}

// Probe ports of the probe program.
var defaultPorts = map[string]int{
	lab.ProbeTCP:  probe.DefaultTCPPort,
	lab.ProbeUDP:  probe.DefaultUDPPort,
	lab.ProbeHTTP: probe.DefaultHTTPPort,
}

type key struct{ workload, host string }

// planned is one check with its probe target, or the reason it cannot run.
type planned struct {
	check  lab.Check
	target probe.Target
	peer   string // hostname the target must answer with; "" when unknown
	// dnsWant is the address a DNS answer must contain.
	dnsWant string
	err     string
}

// TokenTTL is how long the run's token stays valid in the probes: the
// check's probes, and for an hour after them the "reproduce" lines a person
// runs by hand in a probe container (`/overlab probe run` finds the token).
const TokenTTL = time.Hour

// Run performs every check of the lab and returns one result row per check.
// Its steps: expand the lab's expectations into checks, give every probe the
// run's token, plan a probe target for each check, run every source
// container's targets in one exec (sources concurrently, at most Parallel at
// once), and judge each answer.
func Run(ctx context.Context, s Spec) ([]results.Probe, error) {
	checks := s.Blueprint.Checks
	idx := indexInstances(s.Instances)
	auth := s.Authority
	if auth == nil {
		var err error
		if auth, err = NewAuthority(); err != nil {
			return nil, err
		}
	}
	idx.refused = s.authorize(ctx, auth, s.Instances)
	plans, groups := s.planAll(checks, idx)
	answers := s.probeAll(ctx, idx, plans, groups, auth.tok.ID())
	multi := multiWorkload(checks)
	out := make([]results.Probe, len(checks))
	for i, c := range checks {
		out[i] = s.judge(c, plans[i], answers[i], multi[c.Network])
	}
	return out, nil
}

// instances indexes the running instances by workload and host, and lists
// each workload's.
type instances struct {
	at         map[key]lab.Instance
	byWorkload map[string][]lab.Instance
	// refused says why a probe has no token of this run (so it can
	// neither prove its requests nor answer any).
	refused map[key]string
}

func indexInstances(list []lab.Instance) instances {
	idx := instances{at: map[key]lab.Instance{}, byWorkload: map[string][]lab.Instance{}}
	for _, in := range list {
		idx.at[key{in.Workload, in.Host}] = in
		idx.byWorkload[in.Workload] = append(idx.byWorkload[in.Workload], in)
	}
	return idx
}

// planAll plans every check and groups the runnable ones by source
// container: one exec per group.
func (s Spec) planAll(checks []lab.Check, idx instances) ([]planned, map[key][]int) {
	plans := make([]planned, len(checks))
	groups := map[key][]int{}
	for i, c := range checks {
		plans[i] = s.plan(c, idx)
		plans[i].target.ID = strconv.Itoa(i)
		if plans[i].err == "" {
			k := key{c.FromWorkload, c.FromHost}
			groups[k] = append(groups[k], i)
		}
	}
	return plans, groups
}

// answer is what became of one check's probe: the probe program's result,
// or why its source container could not run it.
type answer struct {
	result *probe.Result
	srcErr string
}

// probeAll runs each group's targets in its source container, all sources
// at once within the Parallel bound: the expected-unreachable targets then
// cost one deadline per check, not one per source.
func (s Spec) probeAll(ctx context.Context, idx instances, plans []planned, groups map[key][]int, tokenID string) []answer {
	answers := make([]answer, len(plans))
	sources := make([]key, 0, len(groups))
	names := make([]string, 0, len(groups))
	for k := range groups {
		sources = append(sources, k)
		names = append(names, k.workload+" on "+k.host)
	}
	var mu sync.Mutex
	// Every source's failure is in its rows; nothing to return here.
	_ = fanout.Each(ctx, names, func(ctx context.Context, n int) error {
		members := groups[sources[n]]
		targets := make([]probe.Target, len(members))
		for j, i := range members {
			targets[j] = plans[i].target
		}
		rep, err := s.exec(ctx, idx.at[sources[n]], targets, tokenID)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			for _, i := range members {
				answers[i].srcErr = err.Error()
			}
			return nil
		}
		for j := range rep.Results {
			if id, err := strconv.Atoi(rep.Results[j].ID); err == nil && id >= 0 && id < len(answers) {
				answers[id].result = &rep.Results[j]
			}
		}
		return nil
	}, fanout.MaxParallel(s.Parallel))
	return answers
}

// judge turns one check's answer into its row: reachability as observed,
// checked against the peer that must answer and the address a name must
// resolve to, then compared with what the lab expects.
func (s Spec) judge(c lab.Check, pl planned, a answer, multi bool) results.Probe {
	p := results.Probe{
		Network: c.Network,
		From:    endpointName(c.FromWorkload, c.FromHost, multi),
		To:      toName(c, multi),
		Target:  pl.target.Address,
		Kind:    c.Kind,
		Expect:  results.ExpectReachable,
		Note:    c.Note,
		Family:  results.FamilyOf(c.Family),
		Engines: c.Engines,
	}
	if p.Target == "" {
		p.Target = pl.target.Name
	}
	by := s.Blueprint.Reproduce(c, pl.target.Address)
	p.Reproduce = by.Host + "$ " + by.Line
	if !c.Reachable {
		p.Expect = results.ExpectUnreachable
	}
	if c.UnderFaults {
		p.Healthy = results.ExpectUnreachable
		if c.Healthy {
			p.Healthy = results.ExpectReachable
		}
	}
	ran := false
	switch {
	case pl.err != "":
		p.Error = pl.err
	case a.srcErr != "":
		p.Error = a.srcErr
	case a.result == nil:
		p.Error = "the probe program returned no result for this target"
	default:
		ran = true
		observe(&p, c, pl, a.result)
	}
	p.OK = p.Reachable == c.Reachable
	if !ran {
		// A probe that could not run proves nothing either way.
		p.OK = false
		p.Reachable = false
	}
	if !p.OK {
		row := fmt.Sprintf("expect #%d", c.Row)
		if c.Line > 0 {
			row += fmt.Sprintf(" (%s:%d)", s.Blueprint.Lab.Source, c.Line)
		}
		if p.Error == "" {
			p.Error = "reachable, but the lab expects it not to be"
		}
		p.Error = row + ": " + p.Error
	} else if p.Reachable {
		p.Error = ""
	}
	return p
}

// observe copies the probe program's result into the row; an answer from
// another peer than the expected one, or a name resolving elsewhere, is not
// reachability.
func observe(p *results.Probe, c lab.Check, pl planned, r *probe.Result) {
	p.Reachable, p.RTTMS, p.Tries, p.Error = r.Reachable, r.RTTMS, r.Tries, r.Error
	if !c.Reachable && !r.Reachable && strings.HasPrefix(r.Error, probe.ConnectedBut) {
		// Isolation is refuted by the accepted connection itself: a banner
		// late from a busy or throttled probe must not pass for silence.
		p.Reachable = true
		p.Error = "the connection was accepted, so the address is reachable (" + r.Error + ")"
	}
	if r.Reachable && pl.peer != "" && r.Peer != "" && r.Peer != pl.peer {
		p.Reachable = false
		p.Error = fmt.Sprintf("answered by %s, not by %s", r.Peer, pl.peer)
	}
	if want := pl.dnsWant; c.Kind == lab.ProbeDNS && r.Reachable && want != "" && !slices.Contains(r.Addrs, want) {
		p.Reachable = false
		p.Error = fmt.Sprintf("%s resolved to %s, not to the peer's %s", pl.target.Name, strings.Join(r.Addrs, ", "), want)
	}
	if r.Output != "" {
		p.Evidence = r.Output
	}
}

// multiWorkload says, per network, whether several workloads take part: the
// rows then name workload@host instead of the host alone.
func multiWorkload(checks []lab.Check) map[string]bool {
	seen := map[string]map[string]bool{}
	for _, c := range checks {
		if seen[c.Network] == nil {
			seen[c.Network] = map[string]bool{}
		}
		seen[c.Network][c.FromWorkload] = true
		if c.ToWorkload != "" {
			seen[c.Network][c.ToWorkload] = true
		}
	}
	out := map[string]bool{}
	for n, ws := range seen {
		out[n] = len(ws) > 1
	}
	return out
}

func endpointName(workload, host string, multi bool) string {
	if multi {
		return workload + "@" + host
	}
	return host
}

func toName(c lab.Check, multi bool) string {
	switch c.TargetType {
	case lab.TargetWorkload:
		if c.ToHost == "" {
			return c.ToWorkload
		}
		return endpointName(c.ToWorkload, c.ToHost, multi)
	case lab.TargetUnderlay:
		return c.ToHost
	case lab.TargetAddress:
		if c.ToWorkload != "" && c.ToHost != "" {
			return c.ToWorkload + "@" + c.ToHost
		} else if c.ToWorkload != "" {
			return c.ToWorkload
		}
	}
	return c.Target
}

// plan turns a check into a probe target.
func (s Spec) plan(c lab.Check, idx instances) planned {
	inst := idx.at
	p := planned{check: c}
	src, ok := inst[key{c.FromWorkload, c.FromHost}]
	if !ok {
		p.err = s.missing(c.FromWorkload, c.FromHost)
		return p
	}
	if why := idx.refused[key{src.Workload, src.Host}]; why != "" {
		p.err = why
		return p
	}
	t := probe.Target{Kind: c.Kind, Port: c.Port, Family: c.Family}
	if !c.Reachable && s.UnreachableTimeout > 0 {
		// Silence is the expected answer: on a LAN it is proven sooner.
		t.TimeoutMS = int(s.UnreachableTimeout / time.Millisecond)
	}
	if t.Port == 0 && c.Kind != lab.ProbeICMP && c.Kind != lab.ProbeDNS {
		t.Port = defaultPorts[c.Kind]
	}
	switch c.TargetType {
	case lab.TargetWorkload:
		return s.planWorkload(p, t, idx)
	case lab.TargetUnderlay, lab.TargetAddress:
		t.Address = c.Target
		// A probe behind a host's address (host network, published port)
		// answers with its hostname: whoever else answers is not the peer.
		if c.TargetType == lab.TargetUnderlay && c.ToWorkload != "" && isProbe(s.Blueprint.Lab, c.ToWorkload) {
			// Its own probe answers only this run's proven requests.
			t.Auth = true
			if dst, ok := inst[key{c.ToWorkload, c.ToHost}]; ok {
				p.peer = dst.Hostname
			}
		}
	case lab.TargetName:
		if c.Kind == lab.ProbeDNS {
			t.Name = c.Target
		} else {
			t.Address = c.Target
		}
	}
	p.target = t
	return p
}

// planWorkload aims t at the check's target workload: its address on the
// check's network (its host's for a host-stack driver), or its DNS name.
func (s Spec) planWorkload(p planned, t probe.Target, idx instances) planned {
	c, inst, byWorkload := p.check, idx.at, idx.byWorkload
	var dst lab.Instance
	var ok bool
	if c.ToHost == "" {
		if list := byWorkload[c.ToWorkload]; len(list) > 0 {
			dst, ok = list[0], true
		}
	} else {
		dst, ok = inst[key{c.ToWorkload, c.ToHost}]
	}
	if !ok {
		p.err = s.missing(c.ToWorkload, c.ToHost)
		return p
	}
	if why := idx.refused[key{dst.Workload, dst.Host}]; why != "" {
		p.err = why
		return p
	}
	ip := dst.Addr(c.Network, c.Family)
	if n := s.Blueprint.Network(c.Network); n != nil && n.Driver.Traits().HostStack {
		ip = s.hostAddr(dst.Host)
	}
	if ip == "" {
		p.err = fmt.Sprintf("%s on %s has no %saddress on network %s", c.ToWorkload, orAny(c.ToHost), familyWord(c.Family), c.Network)
		return p
	}
	if c.Kind == lab.ProbeDNS {
		t.Name = s.Blueprint.Lab.DNSName(c.ToWorkload, c.Network)
		p.target, p.dnsWant = t, ip
		return p
	}
	t.Address = ip
	if isProbe(s.Blueprint.Lab, c.ToWorkload) {
		t.Auth = true
		p.peer = dst.Hostname
		// Its banner is only on its own port of each kind; another port
		// (a row's to.port) still must not answer as another probe.
		t.Probe = t.Port == 0 || t.Port == defaultPorts[c.Kind]
	}
	p.target = t
	return p
}

// familyWord names an IPv6 address in messages ("IPv6 address"); IPv4 is
// what an address is unless said.
func familyWord(f string) string {
	if f == lab.FamilyIPv6 {
		return "IPv6 "
	}
	return ""
}

func orAny(h string) string {
	if h == "" {
		return "any host"
	}
	return h
}

func (s Spec) hostAddr(name string) string {
	for _, h := range s.Blueprint.Hosts {
		if h.Name == name {
			return h.Address
		}
	}
	return ""
}

func (s Spec) missing(workload, host string) string {
	if err := s.HostErrors[host]; err != nil {
		return fmt.Sprintf("%s cannot be reached: %v", host, err)
	}
	return fmt.Sprintf("no running %s on %s: run `overlab up` (with the same lab) first", workload, orAny(host))
}

func isProbe(l *lab.Lab, name string) bool {
	w := l.Workload(name)
	return w != nil && w.Image == ""
}

// engine is the Execer of host, or why there is none.
func (s Spec) engine(host string) (Execer, error) {
	if api := s.Engines[host]; api != nil {
		return api, nil
	}
	if err := s.HostErrors[host]; err != nil {
		return nil, fmt.Errorf("%s cannot be reached: %v", host, err)
	}
	return nil, fmt.Errorf("%s cannot be reached", host)
}

func (s Spec) binary() string {
	if s.ProbeBinary == "" {
		return "/overlab"
	}
	return s.ProbeBinary
}

// authorize installs the token in every probe container of the lab, all at
// once: `probe auth` with the token on its stdin, never in an argument
// (docker inspect and ps show arguments). It returns why each probe that
// could not take it, and does not hold it from an earlier round, cannot
// take part.
func (s Spec) authorize(ctx context.Context, auth *Authority, list []lab.Instance) map[key]string {
	var probes []lab.Instance
	var names []string
	for _, in := range list {
		if isProbe(s.Blueprint.Lab, in.Workload) && in.ContainerID != "" {
			probes = append(probes, in)
			names = append(names, in.Workload+" on "+in.Host)
		}
	}
	refused := map[key]string{}
	var mu sync.Mutex
	_ = fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		in := probes[i]
		err := s.install(ctx, in, auth.tok)
		if err == nil {
			auth.took(in.ContainerID)
		}
		if err != nil && !auth.holds(in.ContainerID) {
			mu.Lock()
			refused[key{in.Workload, in.Host}] = fmt.Sprintf("the probe %s on %s could not take this check's token (it answers only proven requests): %v", in.Workload, in.Host, err)
			mu.Unlock()
		}
		return nil
	}, fanout.MaxParallel(s.Parallel))
	return refused
}

func (s Spec) install(ctx context.Context, in lab.Instance, tok probe.Token) error {
	api, err := s.engine(in.Host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, stderr, code, err := runExec(ctx, api, in.ContainerID, []string{s.binary(), "probe", "auth"}, probe.InstallRequest(tok, TokenTTL))
	if err == nil && code != 0 {
		err = fmt.Errorf("probe auth exited %d: %s", code, strings.TrimSpace(stderr))
	}
	return err
}

// runExec runs cmd in a container, with stdin when given, and returns its
// output and exit code.
func runExec(ctx context.Context, api Execer, containerID string, cmd []string, stdin []byte) (string, string, int, error) {
	ex, err := api.ContainerExecCreate(ctx, containerID, container.ExecOptions{
		Cmd:          cmd,
		AttachStdin:  stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
	})
	if err != nil {
		return "", "", 0, err
	}
	att, err := api.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", "", 0, err
	}
	defer att.Close()
	if stdin != nil {
		if _, err := att.Conn.Write(stdin); err != nil {
			return "", "", 0, fmt.Errorf("writing to the exec: %w", err)
		}
		if err := att.CloseWrite(); err != nil {
			return "", "", 0, fmt.Errorf("writing to the exec: %w", err)
		}
	}
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		return "", "", 0, ctx.Err()
	}
	if err != nil {
		return "", "", 0, fmt.Errorf("reading the exec's output: %w", err)
	}
	code := 0
	if stdout.Len() == 0 || stdin != nil { // only then is the exit code worth a round trip
		if st, err := api.ContainerExecInspect(ctx, ex.ID); err == nil {
			code = st.ExitCode
		}
	}
	return stdout.String(), stderr.String(), code, nil
}

// exec runs the probe program once in the source container with every
// target of that container; tokenID names the run's token there.
func (s Spec) exec(ctx context.Context, src lab.Instance, targets []probe.Target, tokenID string) (*probe.Report, error) {
	api, err := s.engine(src.Host)
	if err != nil {
		return nil, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	req := probe.Request{Targets: targets, TimeoutMS: int(timeout / time.Millisecond), Tries: s.Tries}
	if isProbe(s.Blueprint.Lab, src.Workload) {
		req.TokenID = tokenID
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout*time.Duration(max(1, len(targets)))+30*time.Second)
	defer cancel()
	// The request goes on stdin: as an argument it would meet Linux's 128 KiB
	// per-argument limit at about 215 hosts (docs/scale.md).
	stdout, stderr, code, err := runExec(ctx, api, src.ContainerID, []string{s.binary(), "probe", "run"}, body)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("probes in %s on %s: %w", src.Workload, src.Host, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("exec in %s on %s: %w", src.Workload, src.Host, err)
	case stdout == "" && code != 0:
		return nil, fmt.Errorf("probe program in %s on %s exited %d: %s", src.Workload, src.Host, code, strings.TrimSpace(stderr))
	}
	rep, err := probe.DecodeReport([]byte(stdout))
	if err != nil {
		return nil, fmt.Errorf("probe answer from %s on %s: %w (stderr: %s)", src.Workload, src.Host, err, strings.TrimSpace(stderr))
	}
	return &rep, nil
}

// Sort orders rows by network, from, to, kind, for stable output.
func Sort(ps []results.Probe) {
	sort.SliceStable(ps, func(a, b int) bool {
		x, y := ps[a], ps[b]
		if x.Network != y.Network {
			return x.Network < y.Network
		}
		if x.From != y.From {
			return x.From < y.From
		}
		if x.To != y.To {
			return x.To < y.To
		}
		return x.Kind < y.Kind
	})
}
