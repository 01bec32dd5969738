package watch

import (
	"context"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runner"
)

// Source is what a watch probes every round.
type Source interface {
	// Name says what is watched: "lab swarm", "networks backend,front".
	Name() string
	// Round probes once. A round that could not probe returns an error,
	// with a document of what it knew when it can.
	Round(ctx context.Context) (*results.Document, error)
	// HostsChanged says that hosts were lost or came back since the last
	// round (the cluster's members changed).
	HostsChanged(ctx context.Context)
}

// LabChecker checks a lab that is up; runner.Runner is one.
type LabChecker interface {
	Check(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab) (*results.Document, error)
}

// LabSource probes a lab that is up with the lab's own probes: a watch
// makes nothing on the hosts.
func LabSource(r LabChecker, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab) Source {
	return &labSource{r: r, c: c, hosts: hosts, l: l}
}

type labSource struct {
	r     LabChecker
	c     *cluster.Cluster
	hosts []inventory.Host
	l     *lab.Lab
}

func (s *labSource) Name() string { return "lab " + s.l.Name }

func (s *labSource) Round(ctx context.Context) (*results.Document, error) {
	return s.r.Check(ctx, s.c, s.hosts, s.l)
}

// HostsChanged: Check finds the manager and the facts afresh every round.
func (s *labSource) HostsChanged(context.Context) {}

// ExistingSource probes a user's networks through a check whose hardened
// probes stay up until the watch stops them (runner.StartExisting).
func ExistingSource(x *runner.ExistingCheck) Source { return existingSource{x} }

type existingSource struct{ x *runner.ExistingCheck }

func (s existingSource) Name() string { return s.x.Name() }

func (s existingSource) Round(ctx context.Context) (*results.Document, error) {
	return s.x.Round(ctx)
}

func (s existingSource) HostsChanged(ctx context.Context) { s.x.HostsChanged(ctx) }
