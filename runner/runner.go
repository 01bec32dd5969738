package runner

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/check"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/overlay"
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
	// auth is the probes' token for every check this Runner makes (a
	// watch's rounds): see check.Authority.
	authOnce sync.Once
	auth     *check.Authority
	authErr  error
}

// authority is the Runner's check.Authority, made at its first check.
func (r *Runner) authority() (*check.Authority, error) {
	r.authOnce.Do(func() { r.auth, r.authErr = check.NewAuthority() })
	return r.auth, r.authErr
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
		out = append(out, workload.Host{Name: n.Name(), Role: n.Host.Role, API: n.Docker(), Debug: n})
	}
	return out
}

// DefaultUnreachableTimeout is the deadline of expected-unreachable probes:
// hundreds of times a LAN's round trip (sub-millisecond on local hosts, a
// few ms on emulated VMs), and each try listens for all of it.
const DefaultUnreachableTimeout = 500 * time.Millisecond

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
