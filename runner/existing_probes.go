package runner

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/workload"
)

// removeWait bounds the removal of a check's probes, also after Ctrl-C.
const removeWait = 60 * time.Second

// deployProbes compiles the check's blueprint and starts its probes, one
// network at a time: a network whose probe cannot start (a full subnet, a
// network the scheduler refuses) is a finding, and the others go on.
func (r *Runner) deployProbes(ctx context.Context, e *existingRun, facts map[string]*cluster.Facts) ([]results.Finding, error) {
	img, err := r.probeImage(e.lab)
	if err != nil {
		return nil, err
	}
	bp, err := blueprint.Compile(e.lab, blueprint.FromInventory(e.hosts), blueprint.WithFacts(facts), blueprint.WithImage(img.Ref))
	if err != nil {
		return nil, err
	}
	_, acts, err := r.ensureImage(ctx, e.c, img)
	if err != nil {
		return nil, err
	}
	r.logger.V(1).Infof("probe image: %s", strings.Join(acts, "; "))
	var findings []results.Finding
	ph := r.progress.Start("probes up")
	failed := map[string]bool{}
	for _, bw := range bp.Workloads {
		one := *bp
		one.Workloads = []blueprint.Workload{bw}
		acts, err := workload.Ensure(ctx, workload.Spec{Blueprint: &one, Hosts: WorkloadHosts(e.c), Manager: e.manager, NodeHosts: e.found.NodeHosts, Wait: r.wait, Logger: r.logger})
		for _, a := range acts {
			ph.Infof("%s", a)
		}
		if err != nil {
			if ctx.Err() != nil {
				ph.End(err)
				return findings, err
			}
			failed[bw.Name] = true
			findings = append(findings, results.Finding{Severity: results.SeverityError,
				Message: fmt.Sprintf("network %s cannot be probed: its probe did not start: %v", bw.Networks[0].Network, err)})
		}
	}
	ph.End(nil)
	bp.Checks = keepChecks(bp.Checks, failed)
	e.bp = bp
	if _, err := settleOverlays(ctx, e.c, e.lab, bp.Placed, r.wait); err != nil && ctx.Err() == nil {
		findings = append(findings, results.Finding{Severity: results.SeverityWarning, Message: err.Error()})
	}
	return findings, ctx.Err()
}

// removeProbes removes this check's probes, also when ctx was cancelled
// (Ctrl-C, SIGTERM), within removeWait, and waits until their containers
// are gone from every host: nothing of the check stays on the networks.
func (r *Runner) removeProbes(ctx context.Context, e *existingRun) {
	if ctx.Err() != nil {
		r.logger.V(0).Infof("removing this check's probes (at most %v)", removeWait)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeWait)
	defer cancel()
	ph := r.progress.Start("probes down")
	acts, err := workload.Remove(rctx, e.lab.Name, e.manager, WorkloadHosts(e.c))
	for _, a := range acts {
		ph.Infof("%s", a)
	}
	if err == nil {
		err = waitContainersGone(rctx, e.c, e.lab.Name)
	}
	ph.End(err)
	if err != nil {
		r.logger.Warnf("removing the check's probes: %v (what is left carries the label %s=%s)", err, lab.Label, e.lab.Name)
	}
}

// waitContainersGone waits until no container of the lab is on any host.
func waitContainersGone(ctx context.Context, c *cluster.Cluster, labName string) error {
	sel := filters.NewArgs(filters.Arg("label", lab.LabelSelector(labName)))
	return c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		for {
			list, err := n.Docker().ContainerList(ctx, container.ListOptions{All: true, Filters: sel})
			if err != nil || len(list) == 0 {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%d probe containers still there: %w", len(list), ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// removeLeftovers removes the probes that an earlier check on this machine
// left when its process died; another machine's, or a live process's, are
// left alone and said.
func (r *Runner) removeLeftovers(ctx context.Context, e *existingRun) []results.Finding {
	labs := map[string]string{} // lab name -> owner
	if e.manager != nil {
		svcs, err := e.manager.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", OwnerLabel))})
		if err == nil {
			for _, s := range svcs {
				labs[s.Spec.Labels[lab.Label]] = s.Spec.Labels[OwnerLabel]
			}
		}
	}
	var mu sync.Mutex
	_ = e.c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		list, err := n.Docker().ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", OwnerLabel))})
		mu.Lock()
		defer mu.Unlock()
		for _, ct := range list {
			if ct.Labels["com.docker.swarm.service.name"] == "" {
				labs[ct.Labels[lab.Label]] = ct.Labels[OwnerLabel]
			}
		}
		return err
	})
	var findings []results.Finding
	for name, who := range labs {
		if f := r.removeLeftover(ctx, e, name, who); f != nil {
			findings = append(findings, *f)
		}
	}
	return findings
}

func (r *Runner) removeLeftover(ctx context.Context, e *existingRun, name, who string) *results.Finding {
	if !strings.HasPrefix(name, "check-") {
		return nil
	}
	if !orphaned(who) {
		return &results.Finding{Severity: results.SeverityInfo,
			Message: fmt.Sprintf("the probes of another check (%s, by %s) are on the hosts: they are left alone (if that check is gone: overlab down --lab %s)", name, who, name)}
	}
	acts, err := workload.Remove(ctx, name, e.manager, WorkloadHosts(e.c))
	if err != nil {
		r.logger.Warnf("removing the probes an earlier check left (%s): %v", name, err)
	}
	if len(acts) > 0 {
		r.logger.V(0).Infof("removed the probes an earlier check left (%s, by %s): %s", name, who, strings.Join(acts, "; "))
	}
	return nil
}

// orphaned says whether who (host:pid) is a process of this machine that
// has ended.
func orphaned(who string) bool {
	host, pidText, ok := strings.Cut(who, ":")
	me, _ := os.Hostname()
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || host != me {
		return false
	}
	return !processAlive(pid)
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true // FindProcess fails there for a process that is gone
	}
	return p.Signal(syscall.Signal(0)) == nil
}
