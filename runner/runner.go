package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/check"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/diagnose"
	"github.com/overlab/overlab/fault"
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

// leader is the index in c.Nodes of the first reachable manager, or -1.
func leader(c *cluster.Cluster) int {
	for i, n := range c.Nodes {
		if n.Host.IsManager() {
			return i
		}
	}
	return -1
}

func overlayHosts(c *cluster.Cluster) []overlay.Host {
	out := make([]overlay.Host, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		out = append(out, overlay.Host{Name: n.Name(), API: n.Docker()})
	}
	return out
}

// wanted are the blueprint's networks as overlay makes them.
func wanted(bp *blueprint.Blueprint) []overlay.Wanted {
	out := make([]overlay.Wanted, 0, len(bp.Networks))
	for _, n := range bp.Networks {
		out = append(out, overlay.Wanted{Name: n.Name, Creates: n.Creates})
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
	var err error
	facts, down := r.gather(ctx, c, hosts)
	if len(down) > 0 {
		return u.res, hostsError("up needs every host of the inventory", down)
	}
	u.facts = facts
	img, err := r.probeImage(l)
	if err != nil {
		return u.res, err
	}
	opts := []blueprint.Option{blueprint.WithFacts(facts)}
	if img != nil {
		opts = append(opts, blueprint.WithImage(img.Ref))
	}
	if u.bp, err = blueprint.Compile(l, blueprint.FromInventory(hosts), opts...); err != nil {
		return u.res, err
	}
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
	u.img = r.startImage(imgCtx, c, img)
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
	start time.Time
	c     *cluster.Cluster
	hosts []inventory.Host
	l     *lab.Lab
	facts map[string]*cluster.Facts
	bp    *blueprint.Blueprint
	img   *imageLoad
	lead  int
	spec  workload.Spec
	res   UpResult
}

// prerequisitesMet warns of each host's problems and says whether the lab's
// requirements hold; when not, it says which and Up does nothing.
func (r *Runner) prerequisitesMet(u *upRun) bool {
	for _, f := range u.facts {
		for _, p := range f.Problems {
			r.logger.Warnf("%s: %s", f.Name, p)
		}
	}
	missing := u.bp.Unmet
	for _, f := range missing {
		r.logger.V(0).Infof("%s: %s", f.Host, f.Message)
	}
	return len(missing) == 0
}

// planUp reports the address plan and refuses, with every reason at once,
// what the hosts cannot do.
func (r *Runner) planUp(u *upRun) error {
	ph := r.progress.Start("plan")
	u.res.Plan = u.bp.Plan
	err := u.bp.Err()
	ph.End(err)
	if err != nil {
		return err
	}
	for name, p := range u.bp.Plan.Subnets {
		if u.bp.Plan.Chosen[name] {
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
	acts, err := overlay.Ensure(ctx, overlay.Spec{Lab: u.l.Name, Networks: wanted(u.bp), Hosts: overlayHosts(u.c), Leader: max(u.lead, 0)})
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
	u.spec = workload.Spec{Blueprint: u.bp, Hosts: WorkloadHosts(u.c), Wait: r.wait, Logger: r.logger}
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
	lagging, err := settleOverlays(ctx, u.c, u.l, u.bp.Placed, min(r.wait, 5*time.Second))
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
	_, err = settleOverlays(ctx, u.c, u.l, u.bp.Placed, r.wait)
	ph.End(err)
	return err
}

// imageLoad is the probe image loading into every engine in the background.
type imageLoad struct {
	done    chan struct{}
	ref     string
	actions []string
	err     error
}

func (r *Runner) startImage(ctx context.Context, c *cluster.Cluster, img *probeimage.Image) *imageLoad {
	ld := &imageLoad{done: make(chan struct{})}
	go func() {
		defer close(ld.done)
		ld.ref, ld.actions, ld.err = r.ensureImage(ctx, c, img)
	}()
	return ld
}

// probeImage is the probe image when some workload of l runs it (nil
// otherwise): its reference is known before it loads.
func (r *Runner) probeImage(l *lab.Lab) (*probeimage.Image, error) {
	if !slices.ContainsFunc(l.Workloads, func(w lab.Workload) bool { return w.Image == "" }) {
		return nil, nil
	}
	opts := []probeimage.Option{probeimage.WithLogger(r.logger)}
	if r.probeBinary != "" {
		opts = append(opts, probeimage.WithBinary(r.probeBinary))
	}
	return probeimage.New(opts...)
}

func (ld *imageLoad) wait() (string, []string, error) {
	<-ld.done
	return ld.ref, ld.actions, ld.err
}

// ensureImage loads the probe image where it is missing or stale, once per
// engine, after checking each engine's architecture.
func (r *Runner) ensureImage(ctx context.Context, c *cluster.Cluster, img *probeimage.Image) (string, []string, error) {
	if img == nil {
		return "", nil, nil
	}
	ph := r.progress.Start("probe image")
	var (
		mu      sync.Mutex
		actions []string
	)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		st := ph.Host(n.Name())
		loaded, err := ensureImageOn(ctx, img, n)
		st.Done(err)
		if loaded {
			mu.Lock()
			actions = append(actions, fmt.Sprintf("%s: loaded %s", n.Name(), img.Ref))
			mu.Unlock()
		}
		return err
	})
	ph.End(err)
	sort.Strings(actions)
	return img.Ref, actions, err
}

// ensureImageOn checks the engine's architecture (it runs before facts are
// in) and loads the image there if need be.
func ensureImageOn(ctx context.Context, img *probeimage.Image, n *cluster.Node) (bool, error) {
	v, err := n.Docker().ServerVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("docker engine: %w", err)
	}
	if err := img.Binary.CheckArch(v.Arch); err != nil {
		return false, err
	}
	return img.Ensure(ctx, n.Docker())
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
	bp, err := blueprint.Compile(l, blueprint.FromInventory(hosts))
	if err != nil {
		return doc, err
	}
	if len(l.Requires) > 0 && r.requirementsUnmet(ctx, c, hosts, bp, doc) {
		return doc, nil
	}
	// Facts are for the report (hosts, findings); the probes need only the
	// manager and the tasks, so both run at once.
	factsDone := r.gatherAsync(ctx, c, hosts)
	lead := swarm.Controller(ctx, swarm.Members(c))
	var probes []results.Probe
	var perr error
	if !l.NeedsSwarm() || lead >= 0 {
		probes, perr = r.runProbes(ctx, c, bp, lead)
	}
	g := <-factsDone
	addHosts(doc, hosts, g.facts, g.down)
	addPlan(doc, bp.Replan(g.facts))
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
func (r *Runner) requirementsUnmet(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, bp *blueprint.Blueprint, doc *results.Document) bool {
	facts, _ := r.gather(ctx, c, hosts)
	missing := bp.Replan(facts).Unmet
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
func (r *Runner) runProbes(ctx context.Context, c *cluster.Cluster, bp *blueprint.Blueprint, lead int) ([]results.Probe, error) {
	ph := r.progress.Start("probes")
	spec := workload.Spec{Blueprint: bp, Hosts: WorkloadHosts(c)}
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
	probes, err := check.Run(ctx, check.Spec{Blueprint: bp, Instances: inst, Engines: engines, HostErrors: c.Down, Timeout: r.probeWait, UnreachableTimeout: r.unreachableTimeout(), Tries: r.tries, Parallel: r.parallel})
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
func addPlan(doc *results.Document, bp *blueprint.Blueprint) {
	for _, f := range bp.Plan.Findings {
		doc.Findings = append(doc.Findings, results.Finding{Severity: f.Severity, Host: f.Host, Message: f.Message})
	}
	doc.Findings = append(doc.Findings, bp.Findings...)
	for _, n := range bp.Networks {
		rn := results.Network{Name: n.Name, Driver: n.Network.Driver, Scope: n.Scope}
		if n.Subnet.IsValid() {
			rn.Subnet = n.Subnet.String()
		} else if n.Default && n.Driver.Traits().Builtin == "bridge" && len(doc.Hosts) > 0 {
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
	acts, err := overlay.Remove(ctx, d.l.Name, overlayHosts(d.c), d.lead, r.wait)
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
	bp, err := blueprint.Compile(l, blueprint.FromInventory(hosts), blueprint.WithFacts(facts))
	if err != nil {
		return []results.Finding{{Severity: results.SeverityError, Message: err.Error()}}
	}
	out := make([]results.Finding, 0, len(bp.Plan.Findings))
	for _, f := range bp.Plan.Findings {
		out = append(out, results.Finding{Severity: f.Severity, Host: f.Host, Message: f.Message})
	}
	return out
}
