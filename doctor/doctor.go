package doctor

import (
	"context"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/results"
)

// Host is a lab host reached over SSH: a cluster.Node.
type Host interface {
	Name() string
	Run(ctx context.Context, command string) ([]byte, error)
	RunInput(ctx context.Context, command string, stdin io.Reader) ([]byte, error)
}

// AddressPlan checks the lab's planned subnets against what the hosts hold.
type AddressPlan func(facts map[string]*cluster.Facts) []results.Finding

type config struct {
	logger   log.Logger
	binary   string
	only     []string // hosts whose checks and pairs to run ("" all)
	checks   []string // checks to run (all when empty)
	plan     AddressPlan
	wait     time.Duration
	maxSkew  time.Duration
	warnSkew time.Duration
}

// Option configures Run.
type Option func(*config)

// WithLogger injects the logger.
func WithLogger(l log.Logger) Option { return func(c *config) { c.logger = l } }

// WithBinary is the probe program copied to the hosts as the port listener
// and prober (default: overlab's probe for each host's architecture).
func WithBinary(path string) Option { return func(c *config) { c.binary = path } }

// WithHosts limits doctor to these hosts: their own checks and every pair
// that has one of them on either side.
func WithHosts(names ...string) Option { return func(c *config) { c.only = names } }

// WithChecks runs only these checks (Check* names).
func WithChecks(names ...string) Option { return func(c *config) { c.checks = names } }

// WithAddressPlan adds the free-address-space check.
func WithAddressPlan(p AddressPlan) Option { return func(c *config) { c.plan = p } }

func (c *config) wants(check string) bool {
	return len(c.checks) == 0 || slices.Contains(c.checks, check)
}

func (c *config) involves(names ...string) bool {
	if len(c.only) == 0 {
		return true
	}
	for _, n := range names {
		if slices.Contains(c.only, n) {
			return true
		}
	}
	return false
}

// target is one host as doctor sees it.
type target struct {
	inventory.Host
	node  *cluster.Node // nil when SSH failed
	facts *cluster.Facts
	dir   string // where the overlab binary was copied; "" when it was not
}

// Run checks the cluster's hosts. The report is complete even when hosts are
// down: what could not be checked is an Error result.
func Run(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, opts ...Option) *Report {
	cfg := &config{logger: log.NoOp{}, wait: 1500 * time.Millisecond, maxSkew: 5 * time.Second, warnSkew: time.Second}
	for _, o := range opts {
		o(cfg)
	}
	r := &Report{Hosts: []string{}, Results: []Result{}}
	ts := make([]*target, 0, len(hosts))
	for _, h := range hosts {
		t := &target{Host: h, node: c.Node(h.Name)}
		ts = append(ts, t)
		r.Hosts = append(r.Hosts, h.Name)
		if t.node == nil && cfg.involves(h.Name) {
			r.add(Result{Check: CheckSSH, Host: h.Name, Item: "ssh", Status: Error, Detail: errString(c.Down[h.Name]),
				Fix: "check that the host is up and its SSH address answers; doctor cannot test it otherwise"})
		}
	}
	up := slices.DeleteFunc(slices.Clone(ts), func(t *target) bool { return t.node == nil })
	start := time.Now()
	// The hosts' own checks run while the listeners start: they are
	// independent, and each is a round trip or two per host.
	var (
		wg    sync.WaitGroup
		hostR []Result
		net   *netRun
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		hostR = append(gatherFacts(ctx, cfg, up), hostChecks(ctx, cfg, up)...)
		cfg.logger.V(1).Infof("doctor: host checks in %v", time.Since(start).Round(time.Millisecond))
	}()
	go func() {
		defer wg.Done()
		if cfg.wants(CheckPorts) || cfg.wants(CheckMTU) {
			net = prepare(ctx, cfg, up)
		}
	}()
	wg.Wait()
	r.add(hostR...)
	if cfg.plan != nil && cfg.wants(CheckAddrPlan) {
		r.add(addressSpace(cfg, up)...)
	}
	if net != nil {
		r.add(net.probe(ctx, ts)...)
		net.cleanup()
	}
	cfg.logger.V(1).Infof("doctor: done in %v", time.Since(start).Round(time.Millisecond))
	r.finish()
	return r
}

func errString(err error) string {
	if err == nil {
		return "not connected"
	}
	return err.Error()
}

// gatherFacts learns what every host is; the lab address check comes with it.
func gatherFacts(ctx context.Context, cfg *config, ts []*target) []Result {
	var (
		mu  sync.Mutex
		out []Result
	)
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	_ = fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		t := ts[i]
		f, err := cluster.GatherFacts(ctx, t.node)
		t.facts = f
		res := factResults(cfg, t, err)
		mu.Lock()
		out = append(out, res...)
		mu.Unlock()
		return nil
	})
	return out
}
