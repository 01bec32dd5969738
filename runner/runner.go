package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/check"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/diagnose"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/overlay"
	"github.com/overlab/overlab/probeimage"
	"github.com/overlab/overlab/progress"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/swarm"
	"github.com/overlab/overlab/workload"
)

// Runner runs labs. Its zero value is not usable: use New.
type Runner struct {
	logger      log.Logger
	progress    *progress.Progress
	force       bool
	probeBinary string
	wait        time.Duration
	probeWait   time.Duration
	unreachWait time.Duration
	tries       int
	parallel    int
	restarter   swarm.EngineRestarter
	factsCache  *factsCache
	doctor      bool
	preflight   bool
}

// Option configures a Runner.
type Option func(*Runner)

// WithLogger injects the logger.
func WithLogger(l log.Logger) Option { return func(r *Runner) { r.logger = l } }

// WithProgress shows per-phase and per-host progress.
func WithProgress(p *progress.Progress) Option { return func(r *Runner) { r.progress = p } }

// WithForce lets up make hosts leave a foreign swarm.
func WithForce(f bool) Option { return func(r *Runner) { r.force = f } }

// WithProbeBinary is the overlab binary that becomes the probe image.
func WithProbeBinary(path string) Option { return func(r *Runner) { r.probeBinary = path } }

// WithWait bounds each wait for the engines (nodes ready, tasks running,
// networks free).
func WithWait(d time.Duration) Option { return func(r *Runner) { r.wait = d } }

// WithProbePolicy sets each probe's deadline and tries.
func WithProbePolicy(timeout time.Duration, tries int) Option {
	return func(r *Runner) { r.probeWait, r.tries = timeout, tries }
}

// WithUnreachableTimeout sets the deadline of the probes that the lab
// expects to be unreachable: silence for that long is their evidence, and
// any answer within it makes them reachable (probe.Run listens until the
// deadline on every try). 0 means the probe timeout.
func WithUnreachableTimeout(d time.Duration) Option { return func(r *Runner) { r.unreachWait = d } }

// WithFactsCache lets a command reuse what each host's shell said in the
// last ttl (kept in dir), asking only its engine afresh; "" or 0 turns it off.
func WithFactsCache(dir string, ttl time.Duration) Option {
	return func(r *Runner) {
		r.factsCache = nil
		if dir != "" && ttl > 0 {
			r.factsCache = &factsCache{dir: dir, ttl: ttl, now: time.Now}
		}
	}
}

// WithParallel bounds concurrent work across hosts and containers.
func WithParallel(n int) Option { return func(r *Runner) { r.parallel = n } }

// WithEngineRestarter lets up and down restart the engine of a host that
// overlab runs (the local provider) when Docker left it broken.
func WithEngineRestarter(er swarm.EngineRestarter) Option {
	return func(r *Runner) { r.restarter = er }
}

// WithDoctor runs, after a check, the doctor checks that tell apart the
// causes of its ambiguous diagnoses (on by default).
func WithDoctor(on bool) Option { return func(r *Runner) { r.doctor = on } }

// WithPreflight makes up run doctor's network checks (ports, firewall, path
// MTU, clocks) before it changes anything, and stop on a problem.
func WithPreflight(on bool) Option { return func(r *Runner) { r.preflight = on } }

// New returns a Runner.
func New(opts ...Option) *Runner {
	r := &Runner{logger: log.NoOp{}, progress: progress.New(io.Discard), wait: 60 * time.Second, probeWait: 2 * time.Second, unreachWait: DefaultUnreachableTimeout, tries: 3, parallel: 16, doctor: true}
	for _, o := range opts {
		o(r)
	}
	return r
}

// HostInfos is what the lab model needs of the inventory.
func HostInfos(hosts []inventory.Host) []lab.HostInfo {
	out := make([]lab.HostInfo, len(hosts))
	for i, h := range hosts {
		role := h.Role
		if role == "" {
			role = inventory.RoleWorker
		}
		out[i] = lab.HostInfo{Name: h.Name, Address: h.Address, Role: role}
	}
	return out
}

// gather collects facts with a progress line per host.
func (r *Runner) gather(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host) (map[string]*cluster.Facts, map[string]error) {
	ph := r.progress.Start("facts")
	steps := map[string]*progress.Step{}
	for _, h := range hosts {
		steps[h.Name] = ph.Host(h.Name)
	}
	down := map[string]error{}
	for name, err := range c.Down {
		down[name] = err
		steps[name].Done(err)
	}
	facts, _ := c.FactsBy(ctx, r.gatherOne, func(host string, f *cluster.Facts, err error) {
		var addrErr *cluster.AddressNotOnHostError
		if err != nil && (f == nil || !errors.As(err, &addrErr)) {
			down[host] = err
		}
		steps[host].Done(err)
	})
	var all error
	if len(down) > 0 {
		all = fmt.Errorf("%d of %d hosts unreachable", len(down), len(hosts))
	}
	ph.End(all)
	return facts, down
}

// gatherOne gathers a node's facts, reusing its recent shell facts when the
// facts cache is on.
func (r *Runner) gatherOne(ctx context.Context, n *cluster.Node) (*cluster.Facts, error) {
	f, cached, err := r.factsCache.gatherFacts(ctx, n)
	if cached {
		r.logger.V(1).Infof("%s: host facts of the last %v reused, engine asked afresh", n.Name(), r.factsCache.ttl)
	}
	return f, err
}

// planInput completes the lab's address-plan input with what the hosts say.
func planInput(l *lab.Lab, infos []lab.HostInfo, facts map[string]*cluster.Facts) addrplan.Input {
	in := lab.PlanInput(l, infos)
	seen := map[string]bool{}
	for i := range in.Hosts {
		h := &in.Hosts[i]
		f := facts[h.Name]
		if f == nil {
			continue
		}
		h.Underlay, _ = netip.ParsePrefix(f.UnderlaySubnet)
		h.Docker0, _ = netip.ParsePrefix(f.Docker0Subnet)
		h.GWBridge, _ = netip.ParsePrefix(f.GWBridgeSubnet)
		// A bridge network's subnet is a connected route on its host: it is
		// that network (counted below), not a route of the host's own.
		dockerNet := map[netip.Prefix]bool{}
		for _, n := range f.Networks {
			for _, s := range n.Subnets {
				if p, err := netip.ParsePrefix(s); err == nil {
					dockerNet[p.Masked()] = true
				}
			}
		}
		for _, p := range f.Routes {
			if p.Bits() > 0 && p.Addr().Is4() && p.Masked() != h.Underlay.Masked() && p.Masked() != h.Docker0.Masked() && p.Masked() != h.GWBridge.Masked() && !dockerNet[p.Masked()] {
				h.Routes = append(h.Routes, p)
			}
		}
		for _, n := range f.Networks {
			switch n.Name {
			case "bridge", "docker_gwbridge", "host", "none":
				continue
			case "ingress":
				if in.Ingress.IsValid() || n.Scope == "swarm" {
					if p, err := firstSubnet(n.Subnets); err == nil {
						in.Ingress = p
					}
				}
				continue
			}
			p, err := firstSubnet(n.Subnets)
			if err != nil {
				continue
			}
			e := addrplan.Existing{Name: n.Name, Driver: n.Driver, Prefix: p, Host: h.Name}
			if n.Scope == "swarm" {
				e.Host = ""
				if seen[n.Name] {
					continue
				}
				seen[n.Name] = true
			}
			in.Existing = append(in.Existing, e)
		}
	}
	return in
}

func firstSubnet(subnets []string) (netip.Prefix, error) {
	for _, s := range subnets {
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
			return p, nil
		}
	}
	return netip.Prefix{}, errors.New("no IPv4 subnet")
}

// capabilities refuses what these hosts cannot do and returns the findings
// that say what they lack. Limits are findings, never failed probes.
func capabilities(l *lab.Lab, facts map[string]*cluster.Facts, hosts []inventory.Host) (dnsrr bool, findings []results.Finding, err error) {
	lack := map[feature.Name][]string{}
	for _, h := range hosts {
		if f := facts[h.Name]; f != nil {
			for _, ft := range f.Features.Lacking() {
				lack[ft.Name] = append(lack[ft.Name], h.Name)
			}
		}
	}
	on := func(k feature.Name) string { return strings.Join(lack[k], ", ") }
	var errs *multierror.Error
	if len(lack[feature.IPVS]) > 0 {
		dnsrr = true
		findings = append(findings, results.Finding{Severity: results.SeverityInfo, Host: on(feature.IPVS),
			Message: "no IPVS in the kernel: services use DNS round robin (endpoint mode dnsrr) instead of a virtual IP, and published service ports use host mode (the ingress routing mesh needs IPVS)"})
		for _, w := range l.Workloads {
			for _, p := range w.Ports {
				if p.Mode == lab.PortModeIngress {
					errs = multierror.Append(errs, fmt.Errorf("workload %q publishes %d in ingress mode, but %s have no IPVS: use mode: host", w.Name, p.Published, on(feature.IPVS)))
				}
			}
		}
	}
	for _, n := range l.Networks {
		if n.Default {
			continue
		}
		if n.Encrypted && len(lack[feature.ESP]) > 0 {
			errs = multierror.Append(errs, fmt.Errorf("network %q is encrypted, but %s have no ESP (xfrm) support: encrypted overlay traffic cannot pass; drop encrypted: true", n.Name, on(feature.ESP)))
		}
		if n.Driver == lab.DriverOverlay && len(lack[feature.VXLAN]) > 0 {
			errs = multierror.Append(errs, fmt.Errorf("network %q is an overlay, but %s have no VXLAN", n.Name, on(feature.VXLAN)))
		}
		if n.Driver == lab.DriverMacvlan {
			if len(lack[feature.Macvlan]) > 0 {
				errs = multierror.Append(errs, fmt.Errorf("network %q is macvlan, but %s have no macvlan driver", n.Name, on(feature.Macvlan)))
			}
			if (strings.Contains(n.Parent, ".") || n.VLAN > 0) && len(lack[feature.VLAN]) > 0 {
				errs = multierror.Append(errs, fmt.Errorf("network %q uses VLAN parent %s, but %s have no 802.1q support: use a plain parent interface", n.Name, n.Parent, on(feature.VLAN)))
			}
		}
	}
	for _, n := range []feature.Name{feature.ESP, feature.VLAN} {
		if len(lack[n]) > 0 {
			findings = append(findings, results.Finding{Severity: results.SeverityInfo, Host: on(n), Message: feature.Get(n).Lacking()})
		}
	}
	return dnsrr, findings, errs.ErrorOrNil()
}

// unmet says which of the lab's required features some host lacks, as
// findings: such a lab is not set up nor probed there, and that is no
// failure (the local provider's hosts share a kernel without IPVS, ESP or
// 802.1q; real VMs have them).
func unmet(l *lab.Lab, facts map[string]*cluster.Facts, hosts []inventory.Host) []results.Finding {
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

// leader is the index in c.Nodes of the first reachable manager, or -1.
func leader(c *cluster.Cluster) int {
	for i, n := range c.Nodes {
		if n.Host.IsManager() {
			return i
		}
	}
	return -1
}

func overlayHosts(c *cluster.Cluster, facts map[string]*cluster.Facts) []overlay.Host {
	out := make([]overlay.Host, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		parent := n.Host.MacvlanParent
		if parent == "" && facts[n.Name()] != nil {
			parent = facts[n.Name()].UnderlayIface
		}
		out = append(out, overlay.Host{Name: n.Name(), API: n.Docker(), Parent: parent})
	}
	return out
}

// WorkloadHosts are the connected hosts' engines as the workload package sees them.
func WorkloadHosts(c *cluster.Cluster) []workload.Host {
	out := make([]workload.Host, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		out = append(out, workload.Host{Name: n.Name(), Role: n.Host.Role, API: n.Docker()})
	}
	return out
}

// DefaultUnreachableTimeout is the deadline of expected-unreachable probes:
// hundreds of times a LAN's round trip (sub-millisecond on local hosts, a
// few ms on emulated VMs), and each try listens for all of it.
const DefaultUnreachableTimeout = 500 * time.Millisecond

// UpResult says what up did.
type UpResult struct {
	Actions []string
	Plan    *addrplan.Plan
	Image   string
	Elapsed time.Duration
}

// Up brings the lab up on every host of the inventory, changing only what
// differs from what is wanted: facts, prerequisites, preflight, plan, then
// the steps of upSteps while the probe image loads in the background.
func (r *Runner) Up(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab) (UpResult, error) {
	u := &upRun{start: time.Now(), c: c, hosts: hosts, l: l}
	facts, down := r.gather(ctx, c, hosts)
	if len(down) > 0 {
		return u.res, hostsError("up needs every host of the inventory", down)
	}
	u.facts, u.infos = facts, HostInfos(hosts)
	if !r.prerequisitesMet(u) {
		return u.res, nil
	}
	if err := r.runPreflight(ctx, c, hosts); err != nil {
		u.res.Elapsed = time.Since(u.start)
		return u.res, err
	}
	if err := r.planUp(u); err != nil {
		return u.res, err
	}
	// Once the plan holds, the probe image loads while the swarm and the
	// networks are made: neither needs it. (The 30 s "preparing" stall once
	// blamed on loading it during the joins is two network attachments at
	// once on one engine, docs/churn.md; the workloads step avoids that.)
	imgCtx, cancelImg := context.WithCancel(ctx)
	u.img = r.startImage(imgCtx, c, l)
	defer func() { cancelImg(); u.img.wait() }()
	u.lead = leader(c)
	for _, step := range upSteps {
		if err := step(r, ctx, u); err != nil {
			return u.res, err
		}
	}
	return u.res, nil
}

// upSteps are the phases of Up after the plan, in order; each stops it on
// error.
var upSteps = []func(*Runner, context.Context, *upRun) error{
	(*Runner).upSwarm,
	(*Runner).upNetworks,
	(*Runner).upImage,
	(*Runner).upWorkloads,
	(*Runner).upSettle,
}

// upRun is what the steps of Up share.
type upRun struct {
	start  time.Time
	c      *cluster.Cluster
	hosts  []inventory.Host
	l      *lab.Lab
	facts  map[string]*cluster.Facts
	infos  []lab.HostInfo
	plan   *addrplan.Plan
	dnsrr  bool
	placed map[string][]string
	img    *imageLoad
	lead   int
	spec   workload.Spec
	res    UpResult
}

// prerequisitesMet warns of each host's problems and says whether the lab's
// requirements hold; when not, it says which and Up does nothing.
func (r *Runner) prerequisitesMet(u *upRun) bool {
	for _, f := range u.facts {
		for _, p := range f.Problems {
			r.logger.Warnf("%s: %s", f.Name, p)
		}
	}
	missing := unmet(u.l, u.facts, u.hosts)
	for _, f := range missing {
		r.logger.V(0).Infof("%s: %s", f.Host, f.Message)
	}
	return len(missing) == 0
}

// planUp computes the address plan, the capabilities and the placements,
// and fails with every reason they do not hold.
func (r *Runner) planUp(u *upRun) error {
	ph := r.progress.Start("plan")
	plan := addrplan.Compute(planInput(u.l, u.infos, u.facts))
	u.plan, u.res.Plan = plan, plan
	dnsrr, _, err := capabilities(u.l, u.facts, u.hosts)
	if err == nil {
		err = plan.Err()
	} else if perr := plan.Err(); perr != nil {
		err = multierror.Append(err, perr)
	}
	placed, perr := lab.Placements(u.l, u.infos)
	if perr != nil {
		err = multierror.Append(err, perr)
	}
	ph.End(err)
	if err != nil {
		return err
	}
	u.dnsrr, u.placed = dnsrr, placed
	for name, p := range plan.Subnets {
		if plan.Chosen[name] {
			ph.Infof("%s: subnet %s chosen", name, p)
		}
	}
	return nil
}

// phaseActions reports a phase's actions, keeps them, and ends the phase.
func (u *upRun) phaseActions(ph *progress.Phase, acts []string, err error) error {
	for _, a := range acts {
		ph.Infof("%s", a)
	}
	u.res.Actions = append(u.res.Actions, acts...)
	ph.End(err)
	return err
}

func (r *Runner) upSwarm(ctx context.Context, u *upRun) error {
	if !u.l.NeedsSwarm() {
		return nil
	}
	ph := r.progress.Start("swarm")
	sres, err := swarm.Ensure(ctx, swarm.Members(u.c), swarm.WithLogger(r.logger), swarm.WithForce(r.force), swarm.WithReadyTimeout(r.wait), swarm.WithEngineRestarter(r.restarter))
	return u.phaseActions(ph, sres.Actions, err)
}

func (r *Runner) upNetworks(ctx context.Context, u *upRun) error {
	ph := r.progress.Start("networks")
	acts, err := overlay.Ensure(ctx, overlay.Spec{Lab: u.l, Plan: u.plan, Hosts: overlayHosts(u.c, u.facts), Leader: max(u.lead, 0), UsedOn: usedOn(u.l, u.placed)})
	return u.phaseActions(ph, acts, err)
}

// upImage waits for the probe image that loads in the background.
func (r *Runner) upImage(_ context.Context, u *upRun) error {
	image, acts, err := u.img.wait()
	u.res.Image = image
	u.res.Actions = append(u.res.Actions, acts...)
	return err
}

func (r *Runner) upWorkloads(ctx context.Context, u *upRun) error {
	ph := r.progress.Start("workloads")
	u.spec = workload.Spec{Lab: u.l, Image: u.res.Image, Hosts: WorkloadHosts(u.c), DNSRR: u.dnsrr, Placed: u.placed, Wait: r.wait, Logger: r.logger}
	if u.l.NeedsSwarm() && u.lead >= 0 {
		u.spec.Manager = u.c.Nodes[u.lead].Docker()
	}
	acts, err := workload.Ensure(ctx, u.spec)
	if err = u.phaseActions(ph, acts, err); err != nil {
		u.res.Elapsed = time.Since(u.start)
	}
	return err
}

// upSettle waits until every host sees its peers' tasks. Convergence takes
// well under a second; a host still missing a peer's task after a few
// seconds (seen after a network partition heals) gets the services
// redeployed, then a full wait.
func (r *Runner) upSettle(ctx context.Context, u *upRun) error {
	ph := r.progress.Start("settle")
	defer func() { u.res.Elapsed = time.Since(u.start) }()
	lagging, err := settleOverlays(ctx, u.c, u.l, u.placed, min(r.wait, 5*time.Second))
	if err == nil {
		ph.End(nil)
		return nil
	}
	ph.Infof("%v", err)
	if len(lagging) > 0 && u.spec.Manager != nil {
		acts, rerr := workload.Redeploy(ctx, u.spec, lagging)
		for _, a := range acts {
			ph.Infof("%s", a)
		}
		u.res.Actions = append(u.res.Actions, acts...)
		if rerr != nil {
			ph.End(rerr)
			return rerr
		}
	}
	// Peers still joining the gossip, or the redeployed tasks: the full wait.
	_, err = settleOverlays(ctx, u.c, u.l, u.placed, r.wait)
	ph.End(err)
	return err
}

// usedOn says on which hosts each local network is needed: where a workload
// attached to it runs.
func usedOn(l *lab.Lab, placed map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, w := range l.Workloads {
		for _, a := range w.Networks {
			for _, h := range placed[w.Name] {
				if !slices.Contains(out[a.Network], h) {
					out[a.Network] = append(out[a.Network], h)
				}
			}
		}
	}
	for _, n := range l.Networks {
		sort.Strings(out[n.Name])
		if n.Driver == lab.DriverMacvlan && n.Scope == lab.ScopeSwarm {
			delete(out, n.Name) // config-only networks go on every host
		}
	}
	return out
}

// imageLoad is the probe image loading into every engine in the background.
type imageLoad struct {
	done    chan struct{}
	ref     string
	actions []string
	err     error
}

func (r *Runner) startImage(ctx context.Context, c *cluster.Cluster, l *lab.Lab) *imageLoad {
	ld := &imageLoad{done: make(chan struct{})}
	go func() {
		defer close(ld.done)
		ld.ref, ld.actions, ld.err = r.ensureImage(ctx, c, l)
	}()
	return ld
}

func (ld *imageLoad) wait() (string, []string, error) {
	<-ld.done
	return ld.ref, ld.actions, ld.err
}

// ensureImage loads the probe image where it is missing or stale, once per
// engine: one reference for the lab, and on each engine the content of its
// own architecture (a lab may mix amd64 and arm64 hosts).
func (r *Runner) ensureImage(ctx context.Context, c *cluster.Cluster, l *lab.Lab) (string, []string, error) {
	if !slices.ContainsFunc(l.Workloads, func(w lab.Workload) bool { return w.Image == "" }) {
		return "", nil, nil
	}
	ph := r.progress.Start("probe image")
	// Each engine's architecture first (this runs before facts are in):
	// the reference names the content of every architecture in the lab.
	archs, errs := engineArchs(ctx, c)
	opts := []probeimage.Option{probeimage.WithLogger(r.logger)}
	if r.probeBinary != "" {
		opts = append(opts, probeimage.WithBinary(r.probeBinary))
	}
	// No set when no engine answered: each host then has its own error.
	set, _ := probeimage.NewSet(ctx, slices.Sorted(maps.Values(archs)), opts...)
	var (
		mu      sync.Mutex
		actions []string
	)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		st := ph.Host(n.Name())
		err := errs[n.Name()]
		var loaded bool
		if err == nil {
			loaded, err = set.Ensure(ctx, n.Docker(), archs[n.Name()])
		}
		st.Done(err)
		if loaded {
			mu.Lock()
			what := set.Ref
			if len(set.Archs()) > 1 {
				what += " (" + set.Image(archs[n.Name()]).Binary.Arch + ")"
			}
			actions = append(actions, fmt.Sprintf("%s: loaded %s", n.Name(), what))
			mu.Unlock()
		}
		return err
	})
	ph.End(err)
	sort.Strings(actions)
	if set == nil {
		return "", actions, err
	}
	return set.Ref, actions, err
}

// engineArchs asks every engine its architecture; the errors are per host.
func engineArchs(ctx context.Context, c *cluster.Cluster) (map[string]string, map[string]error) {
	var mu sync.Mutex
	archs, errs := map[string]string{}, map[string]error{}
	_ = c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		v, err := n.Docker().ServerVersion(ctx)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[n.Name()] = fmt.Errorf("docker engine: %w", err)
			return nil
		}
		archs[n.Name()] = probeimage.NormalizeArch(v.Arch)
		return nil
	})
	return archs, errs
}

func hostsError(what string, down map[string]error) error {
	var result *multierror.Error
	names := make([]string, 0, len(down))
	for n := range down {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		result = multierror.Append(result, multierror.Prefix(down[n], n+":"))
	}
	return fmt.Errorf("%s: %w", what, result)
}

func (r *Runner) unreachableTimeout() time.Duration {
	if r.unreachWait <= 0 {
		return r.probeWait
	}
	return min(r.probeWait, r.unreachWait)
}

// ErrNoSwarm means check found no swarm for a lab that needs one.
var ErrNoSwarm = errors.New("no swarm")

// Check runs the lab's probes and returns the result document. Hosts that
// cannot be reached still yield their rows, failed with the cause.
func (r *Runner) Check(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab) (*results.Document, error) {
	start := time.Now()
	doc := newDocument(l, start)
	infos := HostInfos(hosts)
	placed, err := lab.Placements(l, infos)
	if err != nil {
		return doc, err
	}
	if len(l.Requires) > 0 && r.requirementsUnmet(ctx, c, hosts, l, doc) {
		return doc, nil
	}
	// Facts are for the report (hosts, findings); the probes need only the
	// manager and the tasks, so both run at once.
	factsDone := r.gatherAsync(ctx, c, hosts)
	lead := swarm.Controller(ctx, swarm.Members(c))
	var probes []results.Probe
	var perr error
	if !l.NeedsSwarm() || lead >= 0 {
		probes, perr = r.runProbes(ctx, c, l, infos, placed, lead)
	}
	g := <-factsDone
	addHosts(doc, hosts, g.facts, g.down)
	addPlan(doc, l, hosts, infos, g.facts)
	if l.NeedsSwarm() && lead < 0 {
		return doc, fmt.Errorf("%w: no reachable manager of the inventory is in a swarm: run `overlab up` first", ErrNoSwarm)
	}
	if perr != nil {
		return doc, perr
	}
	r.conclude(ctx, c, hosts, doc, probes, start)
	return doc, nil
}

func newDocument(l *lab.Lab, start time.Time) *results.Document {
	return &results.Document{SchemaVersion: results.SchemaVersion, Lab: l.Name, StartedAt: start.UTC(), Hosts: []results.Host{}, Networks: []results.Network{}, Probes: []results.Probe{}, Findings: []results.Finding{}}
}

// requirementsUnmet records the lab's unmet requirements as the document's
// findings, summarised, and says whether there were any.
func (r *Runner) requirementsUnmet(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab, doc *results.Document) bool {
	facts, _ := r.gather(ctx, c, hosts)
	missing := unmet(l, facts, hosts)
	if len(missing) == 0 {
		return false
	}
	doc.Findings = append(doc.Findings, missing...)
	doc.Summarize()
	return true
}

type gathered struct {
	facts map[string]*cluster.Facts
	down  map[string]error
}

// gatherAsync gathers the hosts' facts in the background.
func (r *Runner) gatherAsync(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host) <-chan gathered {
	done := make(chan gathered, 1)
	go func() {
		f, d := r.gather(ctx, c, hosts)
		done <- gathered{f, d}
	}()
	return done
}

// runProbes finds the lab's containers (through the swarm's controller
// when lead >= 0) and runs every probe, sorted when all ran.
func (r *Runner) runProbes(ctx context.Context, c *cluster.Cluster, l *lab.Lab, infos []lab.HostInfo, placed map[string][]string, lead int) ([]results.Probe, error) {
	ph := r.progress.Start("probes")
	spec := workload.Spec{Lab: l, Hosts: WorkloadHosts(c), Placed: placed}
	if lead >= 0 {
		spec.Manager = c.Nodes[lead].Docker()
	}
	inst, ierr := workload.Instances(ctx, spec)
	if ierr != nil {
		r.logger.V(1).Infof("finding the lab's containers: %v", ierr)
	}
	engines := map[string]check.Execer{}
	for _, n := range c.Nodes {
		engines[n.Name()] = n.Docker()
	}
	probes, err := check.Run(ctx, check.Spec{Lab: l, Hosts: infos, Instances: inst, Engines: engines, HostErrors: c.Down, Timeout: r.probeWait, UnreachableTimeout: r.unreachableTimeout(), Tries: r.tries, Parallel: r.parallel})
	if err == nil {
		check.Sort(probes)
	}
	ph.End(err)
	return probes, err
}

// addHosts adds a row per inventory host, with its facts, and a finding
// for each of its problems and for a host that could not be reached.
func addHosts(doc *results.Document, hosts []inventory.Host, facts map[string]*cluster.Facts, down map[string]error) {
	for _, h := range hosts {
		rh := results.Host{Name: h.Name, Address: h.Address}
		if f := facts[h.Name]; f != nil {
			rh.EngineVersion, rh.Docker0Subnet, rh.Docker0Gateway, rh.SwarmRole = f.EngineVersion, f.Docker0Subnet, f.Docker0Gateway, f.SwarmRole
			for _, p := range f.Problems {
				doc.Findings = append(doc.Findings, results.Finding{Severity: results.SeverityError, Host: h.Name, Message: p})
			}
		}
		if err := down[h.Name]; err != nil {
			rh.Error = err.Error()
			doc.Findings = append(doc.Findings, results.Finding{Severity: results.SeverityError, Host: h.Name, Message: "unreachable: " + err.Error()})
		}
		doc.Hosts = append(doc.Hosts, rh)
	}
}

// addPlan adds the address plan's and the capabilities' findings and a row
// per network with its subnet (the bridge's is the first host's docker0).
func addPlan(doc *results.Document, l *lab.Lab, hosts []inventory.Host, infos []lab.HostInfo, facts map[string]*cluster.Facts) {
	plan := addrplan.Compute(planInput(l, infos, facts))
	for _, f := range plan.Findings {
		doc.Findings = append(doc.Findings, results.Finding{Severity: f.Severity, Host: f.Host, Message: f.Message})
	}
	_, capFindings, _ := capabilities(l, facts, hosts)
	doc.Findings = append(doc.Findings, capFindings...)
	for _, n := range l.Networks {
		rn := results.Network{Name: n.Name, Driver: n.Driver, Scope: n.Scope}
		if p, ok := plan.Subnets[n.Name]; ok && p.IsValid() {
			rn.Subnet = p.String()
		} else if n.Name == "bridge" && len(doc.Hosts) > 0 {
			rn.Subnet = doc.Hosts[0].Docker0Subnet
		}
		doc.Networks = append(doc.Networks, rn)
	}
}

// conclude puts the probes in the document with their summary, diagnoses
// and (if asked) the doctor's notes on ambiguous failures.
func (r *Runner) conclude(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, doc *results.Document, probes []results.Probe, start time.Time) {
	doc.Probes = probes
	doc.Summarize()
	doc.Diagnoses = diagnose.Classify(doc)
	r.doctorAmbiguous(ctx, c, hosts, doc)
	doc.DurationMS = time.Since(start).Milliseconds()
	if doc.Failed() {
		r.logger.V(1).Infof("%d of %d probes not as expected", doc.Summary.Failed, doc.Summary.Total)
	}
}

// Down removes what Up made for lab l, carrying on past errors and
// returning them all; with images, the probe image too.
func (r *Runner) Down(ctx context.Context, c *cluster.Cluster, l *lab.Lab, images bool) ([]string, error) {
	d := &downRun{c: c, l: l}
	for name, err := range c.Down {
		d.fail(multierror.Prefix(err, name+":"))
	}
	if len(c.Nodes) == 0 {
		// Nothing can be removed: no phase may claim it was (no ✓ before the error).
		if d.result == nil {
			return nil, errors.New("no host in the inventory, nothing removed")
		}
		return nil, fmt.Errorf("no host answered, nothing removed: %w", d.result)
	}
	// Faults first: a blocked gossip port or a cut link would slow or
	// break the rest of the teardown.
	d.add(healFaults(ctx, c, r.progress))
	d.lead = leader(c)
	d.add(r.downWorkloads(ctx, d))
	// Labs share the swarm: the last one down takes it. Leaving first takes
	// the swarm's networks with it on every host that leaves, so nothing
	// waits for Docker to release their endpoints; the networks step then
	// removes the local ones, and the swarm's in a swarm overlab did not make.
	if others := othersUp(ctx, c, l.Name); len(others) > 0 {
		d.add(r.downNetworks(ctx, d))
		ph := r.progress.Start("swarm")
		ph.Infof("kept the swarm: lab %s still up", strings.Join(others, ", "))
		ph.End(nil)
	} else {
		d.add(r.downSwarm(ctx, d))
		d.add(r.downNetworks(ctx, d))
	}
	if images {
		d.add(r.downImages(ctx, d))
	}
	return d.actions, d.result.ErrorOrNil()
}

// downRun is what the steps of Down share: what they did and every error.
type downRun struct {
	c       *cluster.Cluster
	l       *lab.Lab
	lead    int
	actions []string
	result  *multierror.Error
}

func (d *downRun) add(acts []string, err error) {
	d.actions = append(d.actions, acts...)
	d.fail(err)
}

func (d *downRun) fail(err error) {
	if err != nil {
		d.result = multierror.Append(d.result, err)
	}
}

func (r *Runner) downWorkloads(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("workloads")
	var manager workload.ServiceAPI
	if d.lead >= 0 {
		if info, err := d.c.Nodes[d.lead].Docker().Info(ctx); err == nil && info.Swarm.ControlAvailable {
			manager = d.c.Nodes[d.lead].Docker()
		}
	}
	acts, err := workload.Remove(ctx, d.l.Name, manager, WorkloadHosts(d.c))
	ph.End(err)
	return acts, err
}

// downNetworks removes the lab's networks, waiting until their endpoints
// are released (service tasks take a moment to go).
func (r *Runner) downNetworks(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("networks")
	acts, err := overlay.Remove(ctx, d.l.Name, overlayHosts(d.c, nil), d.lead, r.wait)
	ph.End(err)
	return acts, err
}

// downSwarm ends the swarm, for every lab's down and not only the labs
// that need one: Leave undoes only what overlab made (its labels say so),
// and a lab known by its name only (down --all) cannot say whether it did.
func (r *Runner) downSwarm(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("swarm")
	acts, err := swarm.Leave(ctx, swarm.Members(d.c), swarm.WithLogger(r.logger), swarm.WithEngineRestarter(r.restarter))
	ph.End(err)
	return acts, err
}

func (r *Runner) downImages(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("images")
	var (
		mu      sync.Mutex
		actions []string
	)
	err := d.c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		removed, err := probeimage.Remove(ctx, n.Docker(), "")
		mu.Lock()
		for _, ref := range removed {
			actions = append(actions, fmt.Sprintf("%s: removed image %s", n.Name(), ref))
		}
		mu.Unlock()
		return err
	})
	ph.End(err)
	return actions, err
}

// healFaults undoes every fault `overlab fault` recorded on the hosts.
func healFaults(ctx context.Context, c *cluster.Cluster, p *progress.Progress) ([]string, error) {
	ph := p.Start("faults")
	var (
		mu      sync.Mutex
		actions []string
	)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		healed, err := fault.Heal(ctx, n)
		mu.Lock()
		for _, f := range healed {
			actions = append(actions, fmt.Sprintf("%s: healed fault %s (%s)", n.Name(), f.ID, f.What))
		}
		mu.Unlock()
		return err
	})
	sort.Strings(actions)
	ph.End(err)
	return actions, err
}

// PlanFindings checks l's address plan against the hosts' facts, as up
// would before creating anything: `overlab doctor`'s free address space.
func PlanFindings(l *lab.Lab, hosts []inventory.Host, facts map[string]*cluster.Facts) []results.Finding {
	plan := addrplan.Compute(planInput(l, HostInfos(hosts), facts))
	out := make([]results.Finding, 0, len(plan.Findings))
	for _, f := range plan.Findings {
		out = append(out, results.Finding{Severity: f.Severity, Host: f.Host, Message: f.Message})
	}
	return out
}
