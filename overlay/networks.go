package overlay

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
)

// API is what this package needs of one engine.
type API interface {
	NetworkCreate(ctx context.Context, name string, options network.CreateOptions) (network.CreateResponse, error)
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	NetworkRemove(ctx context.Context, networkID string) error
}

// Host is one engine.
type Host struct {
	Name string
	API  API
}

// Wanted is one lab network and the Docker networks that make it.
type Wanted struct {
	Name    string
	Creates []netdriver.Create
}

// Spec is everything needed to create a lab's networks.
type Spec struct {
	Lab      string // its name: the label of what it creates
	Networks []Wanted
	Hosts    []Host
	Leader   int // index in Hosts of the swarm manager used for swarm-scoped networks
}

// Ensure creates the lab's networks that do not exist yet and returns what
// it did. A network that exists with another driver is an error that says
// how to fix it.
func Ensure(ctx context.Context, s Spec) ([]string, error) {
	var actions []string
	for _, n := range s.Networks {
		did, err := s.ensure(ctx, n.Creates)
		actions = append(actions, did...)
		if err != nil {
			return actions, fmt.Errorf("network %q: %w", n.Name, err)
		}
	}
	return actions, nil
}

// ensure runs a network's creates in order: one through the swarm's
// manager, or one per host in parallel for a run of creates of one name.
func (s Spec) ensure(ctx context.Context, creates []netdriver.Create) ([]string, error) {
	var actions []string
	for len(creates) > 0 {
		var (
			did []string
			err error
		)
		if c := creates[0]; c.OnManager() {
			did, err = s.ensureOnLeader(ctx, c.Name, c.Options)
			creates = creates[1:]
		} else {
			k := 1
			for k < len(creates) && !creates[k].OnManager() && creates[k].Name == c.Name {
				k++
			}
			did, err = s.onHosts(ctx, creates[:k])
			creates = creates[k:]
		}
		actions = append(actions, did...)
		if err != nil {
			return actions, err
		}
	}
	return actions, nil
}

// ensureOne creates name on h unless it exists; an existing network of
// another driver or another lab is an error.
func (s Spec) ensureOne(ctx context.Context, h Host, name string, opts network.CreateOptions) ([]string, error) {
	existing, err := find(ctx, h.API, name)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, s.reuse(h, name, existing, opts)
	}
	if _, err := h.API.NetworkCreate(ctx, name, opts); err != nil {
		return nil, fmt.Errorf("creating %s network %q: %w", driverName(opts), name, err)
	}
	what := fmt.Sprintf("%s: created %s network %s", h.Name, driverName(opts), name)
	if opts.IPAM != nil && len(opts.IPAM.Config) > 0 {
		c := opts.IPAM.Config[0]
		what += " " + c.Subnet
		if c.IPRange != "" {
			what += " range " + c.IPRange
		}
	}
	return []string{what}, nil
}

// reuse says whether an existing network of the name is the lab's own
// (made by an earlier up): nil when it is, else an error that says whose
// it is and the way out. A network overlab did not make is never used as
// the lab's: its matrix would say nothing about the lab.
func (s Spec) reuse(h Host, name string, existing *network.Summary, opts network.CreateOptions) error {
	owner := existing.Labels[lab.Label]
	builtFromOurs := opts.ConfigFrom != nil && existing.ConfigFrom.Network == opts.ConfigFrom.Network
	switch {
	case owner == "" && !builtFromOurs:
		return fmt.Errorf("network %q on %s is not overlab's (driver %s, scope %s, subnet %s, attachable %v): overlab neither uses nor changes it; "+
			"give the lab's network another name, or check that network read-only with `overlab check --networks %s`",
			name, h.Name, existing.Driver, existing.Scope, orNone(SubnetOf(*existing).String()), existing.Attachable, name)
	case owner != "" && owner != s.Lab:
		return fmt.Errorf("network %q belongs to lab %q: run `overlab down --lab %s` first", name, owner, owner)
	}
	want := opts.Driver
	if opts.ConfigOnly {
		want = "null"
	}
	if want != "" && existing.Driver != want {
		return fmt.Errorf("a network %q with driver %s already exists (the lab needs %s): remove it with `docker network rm %s` on %s, or run `overlab down`", name, existing.Driver, want, name, h.Name)
	}
	return nil
}

func orNone(s string) string {
	if s == "" || s == "invalid Prefix" {
		return "none"
	}
	return s
}

func driverName(o network.CreateOptions) string {
	switch {
	case o.ConfigOnly:
		return "config-only"
	case o.Scope == netdriver.ScopeSwarm && netdriver.Of(o.Driver).DefaultScope(false) != netdriver.ScopeSwarm:
		return "swarm-scoped " + o.Driver
	}
	return o.Driver
}

func find(ctx context.Context, api API, name string) (*network.Summary, error) {
	nets, err := api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return nil, err
	}
	for i := range nets {
		if nets[i].Name == name { // the filter matches substrings
			return &nets[i], nil
		}
	}
	return nil, nil
}

// ensureOnLeader is ensureOne on the swarm leader, its errors named after it
// as onHosts names every host's.
func (s Spec) ensureOnLeader(ctx context.Context, name string, opts network.CreateOptions) ([]string, error) {
	h := s.Hosts[s.Leader]
	did, err := s.ensureOne(ctx, h, name, opts)
	if err != nil {
		err = multierror.Prefix(err, h.Name+":")
	}
	return did, err
}

// onHosts makes each create on its host, in parallel, stopping at the
// first error (set-up).
func (s Spec) onHosts(ctx context.Context, creates []netdriver.Create) ([]string, error) {
	byName := map[string]Host{}
	for _, h := range s.Hosts {
		byName[h.Name] = h
	}
	names := make([]string, len(creates))
	for i, c := range creates {
		names[i] = c.Host
	}
	did := make([][]string, len(creates))
	err := fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		h, ok := byName[creates[i].Host]
		if !ok {
			return fmt.Errorf("no connection to host %s", creates[i].Host)
		}
		var err error
		did[i], err = s.ensureOne(ctx, h, creates[i].Name, creates[i].Options)
		return err
	}, fanout.Stop(fanout.FailFast))
	actions := slices.Concat(did...)
	sort.Strings(actions)
	return actions, err
}

func hostNames(hosts []Host) []string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}

// Remove deletes every network labelled with the lab's name, and the
// swarm-scoped networks built from the lab's config-only networks (they
// cannot carry a label): swarm-scoped ones on the leader first, then each
// host's local and config-only ones.
// Networks still in use are retried until the wait ends (service tasks take a
// moment to go). It carries on past errors and returns them all.
func Remove(ctx context.Context, labName string, hosts []Host, leader int, wait time.Duration) ([]string, error) {
	var (
		actions []string
		result  *multierror.Error
	)
	if leader >= 0 && leader < len(hosts) {
		did, err := removeOn(ctx, hosts[leader], labName, wait, func(n network.Summary) bool { return n.Scope == "swarm" })
		actions = append(actions, did...)
		if err != nil {
			result = multierror.Append(result, multierror.Prefix(err, hosts[leader].Name+":"))
		}
	}
	did := make([][]string, len(hosts))
	err := fanout.Each(ctx, hostNames(hosts), func(ctx context.Context, i int) error {
		var err error
		did[i], err = removeOn(ctx, hosts[i], labName, wait, func(n network.Summary) bool { return n.Scope != "swarm" })
		return err
	})
	result = multierror.Append(result, err)
	actions = append(actions, slices.Concat(did...)...)
	sort.Strings(actions)
	return actions, result.ErrorOrNil()
}

// removeOn removes the lab's networks of one scope from h, carrying on past
// errors and returning them all.
func removeOn(ctx context.Context, h Host, labName string, wait time.Duration, scope func(network.Summary) bool) ([]string, error) {
	all, err := h.API.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("network list: %w", err)
	}
	ours := map[string]bool{}
	for _, n := range all {
		if n.Labels[lab.Label] == labName && n.ConfigOnly {
			ours[n.Name] = true
		}
	}
	var nets []network.Summary
	for _, n := range all {
		if n.Labels[lab.Label] == labName || (n.ConfigFrom.Network != "" && ours[n.ConfigFrom.Network]) {
			nets = append(nets, n)
		}
	}
	// Swarm-scoped networks that use a config-only one go first.
	sort.Slice(nets, func(a, b int) bool { return !nets[a].ConfigOnly && nets[b].ConfigOnly })
	var (
		actions []string
		result  *multierror.Error
	)
	for _, n := range nets {
		if !scope(n) {
			continue
		}
		if err := retryInUse(ctx, wait, func() error { return h.API.NetworkRemove(ctx, n.ID) }); err != nil {
			result = multierror.Append(result, fmt.Errorf("removing network %q: %w", n.Name, err))
			continue
		}
		actions = append(actions, fmt.Sprintf("%s: removed network %s", h.Name, n.Name))
	}
	return actions, result.ErrorOrNil()
}

func retryInUse(ctx context.Context, wait time.Duration, fn func() error) error {
	deadline := time.Now().Add(wait)
	for {
		err := fn()
		if err == nil || !inUse(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// inUse: a network that still has endpoints or users. The engine answers 403
// for a local network with active endpoints or a config-only network still
// referenced, and 400 (swarmkit's FailedPrecondition) for a swarm network
// that a service still uses.
func inUse(err error) bool {
	return cerrdefs.IsPermissionDenied(err) || cerrdefs.IsInvalidArgument(err)
}

// SubnetOf returns the first IPv4 subnet of a network summary.
func SubnetOf(n network.Summary) netip.Prefix {
	for _, c := range n.IPAM.Config {
		if p, err := netip.ParsePrefix(c.Subnet); err == nil && p.Addr().Is4() {
			return p
		}
	}
	return netip.Prefix{}
}
