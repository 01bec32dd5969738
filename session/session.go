package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/runner"
)

// Config says where the inventory is, how to reach its hosts and how long
// to wait for them.
type Config struct {
	// Inventory is the inventory file; "" means overlab.yaml, else the
	// local lab's (inventory.DefaultPath).
	Inventory      string
	Parallel       int
	ConnectTimeout time.Duration
	OpTimeout      time.Duration
	TrustNewHosts  bool
	// IgnoreSSHConfig leaves ~/.ssh/config out of resolving the hosts.
	IgnoreSSHConfig bool
	// Explicit says which durations the user set by name ("timeout",
	// "connect-timeout", "wait", "probe-timeout"): those are used as they
	// are; the others are multiplied by the inventory's time_scale.
	Explicit func(name string) bool
	Logger   log.Logger
}

// Session is the inventory's hosts and the connections to them.
type Session struct {
	cfg       Config
	path      string
	Inventory *inventory.Inventory
	Hosts     []inventory.Host
	// Cluster holds the hosts that answered; nil until Connect.
	Cluster *cluster.Cluster
	// Lab is the lab the command works on, when it asked for one (WithLab).
	Lab *lab.Lab
}

// Load reads, validates and resolves the inventory, without connecting.
// Its errors name the file.
func Load(cfg Config) (*Session, error) {
	if cfg.Logger == nil {
		cfg.Logger = log.NoOp{}
	}
	s := &Session{cfg: cfg, path: inventory.PathOr(cfg.Inventory)}
	inv, err := inventory.Load(s.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && cfg.Inventory == "" {
			return nil, fmt.Errorf("no inventory: %s does not exist and no local lab is up; pass -i FILE, write %s (see docs/inventory.md), or run %s: %w", s.path, s.path, makeHosts, err)
		}
		return nil, fmt.Errorf("loading inventory: %w", err)
	}
	if err := inv.Validate(); err != nil {
		return nil, err // already names the file, host and field
	}
	var ropts []inventory.ResolveOption
	if cfg.IgnoreSSHConfig {
		ropts = append(ropts, inventory.WithoutSSHConfig())
	}
	if s.Hosts, err = inv.Resolve(ropts...); err != nil {
		return nil, fmt.Errorf("resolving inventory %s: %w", s.path, err)
	}
	s.Inventory = inv
	return s, nil
}

// Scaled is d multiplied by the inventory's time_scale, unless the user set
// the duration called name: a flag says exactly what the user wants.
func (s *Session) Scaled(name string, d time.Duration) time.Duration {
	scale := s.Inventory.Defaults.TimeScale
	if scale <= 1 || (s.cfg.Explicit != nil && s.cfg.Explicit(name)) {
		return d
	}
	return time.Duration(float64(d) * scale)
}

// Connect connects to the inventory's hosts, or to the named ones only.
// The session keeps the hosts that answered (Cluster.Down has the rest,
// and the error names each); Cluster is nil only when nothing could start.
func (s *Session) Connect(ctx context.Context, only ...string) error {
	hosts, err := s.only(only)
	if err != nil {
		return err
	}
	s.Cluster, err = cluster.Connect(ctx, hosts,
		cluster.WithLogger(s.cfg.Logger),
		cluster.WithParallel(s.cfg.Parallel),
		cluster.WithConnectTimeout(s.Scaled("connect-timeout", s.cfg.ConnectTimeout)),
		cluster.WithOpTimeout(s.Scaled("timeout", s.cfg.OpTimeout)),
		cluster.WithTrustNewHosts(s.cfg.TrustNewHosts),
	)
	return err
}

// only are the hosts called names, in inventory order (every host when
// none); an unknown name is an error that lists the known ones.
func (s *Session) only(names []string) ([]inventory.Host, error) {
	if len(names) == 0 {
		return s.Hosts, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []inventory.Host
	for _, h := range s.Hosts {
		if want[h.Name] {
			out = append(out, h)
			delete(want, h.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("no host %q in the inventory %s (it has: %s)", n, s.path, hostNames(s.Hosts))
	}
	return out, nil
}

type openConfig struct {
	lab        string
	labUp      bool
	nameOnly   bool
	requireAll bool
	reports    bool
	only       []string
}

// OpenOption says what a command needs of the session.
type OpenOption func(*openConfig)

// WithLab resolves a lab: nameOrFile when given, else the lab that is up
// (the only one, else the default; several up is an error that names them).
// A lab file is read before any connection: a bad one needs no SSH.
func WithLab(nameOrFile string) OpenOption {
	return func(c *openConfig) { c.lab, c.labUp = nameOrFile, true }
}

// NameOnly accepts a lab found up that overlab knows by its name only (one
// loaded from a file): enough for down, where everything carries the name.
func NameOnly() OpenOption { return func(c *openConfig) { c.nameOnly = true } }

// RequireAll fails unless every host answers (up changes every host).
func RequireAll() OpenOption { return func(c *openConfig) { c.requireAll = true } }

// ReportsDown: the command reports the hosts that did not answer itself
// (hosts, doctor), so the session does not warn of them.
func ReportsDown() OpenOption { return func(c *openConfig) { c.reports = true } }

// Only connects to the named hosts (every host when none are named); the
// hosts named must answer.
func Only(names ...string) OpenOption {
	return func(c *openConfig) { c.only, c.requireAll = names, c.requireAll || len(names) > 0 }
}

// Open loads the inventory, resolves a lab file first when one is named,
// connects, and finds the lab that is up when none is named. Hosts that do
// not answer are warned of (or an error, with RequireAll); Cluster.Down
// has them.
func Open(ctx context.Context, cfg Config, opts ...OpenOption) (*Session, error) {
	var oc openConfig
	for _, o := range opts {
		o(&oc)
	}
	l, err := resolveNamed(oc.lab)
	if err != nil {
		return nil, err
	}
	s, err := Load(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.connect(ctx, oc); err != nil {
		return nil, err
	}
	if oc.labUp && l == nil {
		if l, err = s.labUp(ctx, oc.nameOnly); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.Lab = l
	return s, nil
}

// connect connects as oc asks, warning of the hosts that did not answer.
func (s *Session) connect(ctx context.Context, oc openConfig) error {
	err := s.Connect(ctx, oc.only...)
	switch {
	case s.Cluster == nil:
		return err
	case err != nil && oc.requireAll:
		s.Close()
		return fmt.Errorf("every host must answer: %w", err)
	case err != nil && !oc.reports:
		s.cfg.Logger.Warnf("%v", err)
	}
	return nil
}

// Close closes the connections.
func (s *Session) Close() {
	if s.Cluster != nil {
		s.Cluster.Close()
	}
}

// Runner is the runner for this session's hosts: its logger, its bound on
// parallel work, a cache of the hosts' shell facts, and, for the hosts of
// a local lab (engines overlab itself started), the engine restarter.
func (s *Session) Runner(opts ...runner.Option) *runner.Runner {
	base := []runner.Option{runner.WithLogger(s.cfg.Logger), runner.WithParallel(s.cfg.Parallel), runner.WithFactsCache(FactsCacheDir(), runner.DefaultFactsTTL)}
	base = append(base, s.localRestarter()...) // Linux only: local_linux.go
	return runner.New(append(base, opts...)...)
}

// FactsCacheDir is where hosts' shell facts are kept between commands; ""
// (no cache) when the user has no cache directory.
func FactsCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "overlab", "facts")
}

func hostNames(hosts []inventory.Host) string {
	out := ""
	for i, h := range hosts {
		if i > 0 {
			out += ", "
		}
		out += h.Name
	}
	return out
}
