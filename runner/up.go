package runner

import (
	"context"
	"time"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/interrupt"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/overlay"
	"github.com/overlab/overlab/progress"
	"github.com/overlab/overlab/swarm"
	"github.com/overlab/overlab/workload"
)

// UpResult says what up did.
type UpResult struct {
	Actions []string
	// Stalls are the hosts whose task NetworkDB's bulk-sync race held
	// (workload/stall.go), each named within seconds of its start.
	Stalls  []workload.Stall
	Plan    *addrplan.Plan
	Image   string
	Elapsed time.Duration
}

// Up brings the lab up on every host of the inventory, changing only what
// differs from what is wanted: facts, prerequisites, preflight, plan, then
// the steps of upSteps while the probe image loads in the background.
func (r *Runner) Up(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab) (res UpResult, err error) {
	u := &upRun{start: time.Now(), c: c, hosts: hosts, l: l}
	// Every way out says how long it took (a failure once said 0s).
	defer func() { res.Elapsed = time.Since(u.start) }()
	interrupt.Point("up.facts")
	facts, down := r.gather(ctx, c, hosts)
	if len(down) > 0 {
		return u.res, hostsError("up needs every host of the inventory", down)
	}
	u.facts = facts
	img, err := r.probeImage(ctx, l, facts)
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
		return u.res, err
	}
	interrupt.Point("up.plan")
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
		interrupt.Point("up." + step.name)
		if err := step.run(r, ctx, u); err != nil {
			return u.res, err
		}
	}
	// A step with nothing to do (no routes, overlays already converged)
	// does not look at ctx: Ctrl-C during it still ends up as interrupted.
	return u.res, ctx.Err()
}

// upSteps are the phases of Up after the plan, in order; each stops it on
// error. Their names are test hooks' too (interrupt.Point "up.NAME").
var upSteps = []struct {
	name string
	run  func(*Runner, context.Context, *upRun) error
}{
	{"swarm", (*Runner).upSwarm},
	{"networks", (*Runner).upNetworks},
	{"image", (*Runner).upImage},
	{"workloads", (*Runner).upWorkloads},
	{"routes", (*Runner).upRoutes},
	{"settle", (*Runner).upSettle},
}

// UpSteps names the points of Up where a test may interrupt it
// (interrupt.PointEnv): its phases, and the swarm's own steps.
var UpSteps = []string{"up.facts", "up.plan", "up.swarm", "swarm.init", "swarm.join", "swarm.labels", "up.networks", "up.image", "up.workloads", "up.routes", "up.settle"}

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
	u.spec = workload.Spec{Blueprint: u.bp, Hosts: WorkloadHosts(u.c), Wait: r.wait, Logger: r.logger,
		OnStall: func(st workload.Stall) { u.res.Stalls = append(u.res.Stalls, st) }}
	if u.l.NeedsSwarm() && u.lead >= 0 {
		u.spec.Manager = u.c.Nodes[u.lead].Docker()
	}
	acts, err := workload.Ensure(ctx, u.spec)
	return u.phaseActions(ph, acts, err)
}

// upSettle waits until the lab's IPv6 bridges' addresses are usable
// (settle_ipv6.go) and every host sees its peers' tasks. Convergence takes
// well under a second; a host still missing a peer's task after a few
// seconds (seen after a network partition heals) gets the services
// redeployed, then a full wait.
func (r *Runner) upSettle(ctx context.Context, u *upRun) error {
	ph := r.progress.Start("settle")
	if err := settleIPv6(ctx, u.c, u.l, u.bp.Placed); err != nil {
		ph.End(err)
		return err
	}
	lagging, err := settleOverlays(ctx, u.c, u.l, u.bp.Placed, min(r.wait, 5*time.Second))
	if err == nil {
		ph.End(nil)
		return nil
	}
	ph.Infof("%v", err)
	if len(lagging.Unseen) > 0 && u.spec.Manager != nil {
		// The peers some host lacks are known: they re-announce, one
		// at a time, before anything is redeployed (settle_repair.go).
		acts, rerr := reannounce(ctx, u.c, lagging, lagging.Services)
		for _, a := range acts {
			ph.Infof("%s", a)
		}
		u.res.Actions = append(u.res.Actions, acts...)
		if rerr == nil {
			if lagging, err = settleOverlays(ctx, u.c, u.l, u.bp.Placed, min(r.wait, 5*time.Second)); err == nil {
				ph.End(nil)
				return nil
			}
			ph.Infof("%v", err)
		}
	}
	if len(lagging.Services) > 0 && u.spec.Manager != nil {
		acts, rerr := workload.Redeploy(ctx, u.spec, lagging.Services)
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
