package runner

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/probeimage"
)

// imageLoad is the probe image loading into every engine in the background.
type imageLoad struct {
	done    chan struct{}
	ref     string
	actions []string
	err     error
}

func (r *Runner) startImage(ctx context.Context, c *cluster.Cluster, set *probeimage.Set) *imageLoad {
	ld := &imageLoad{done: make(chan struct{})}
	go func() {
		defer close(ld.done)
		ld.ref, ld.actions, ld.err = r.ensureImage(ctx, c, set)
	}()
	return ld
}

// probeImage is the probe image when some workload of l runs it (nil
// otherwise), for the architectures of the hosts (facts): one reference for
// the lab, known before it loads, and on each engine the content of its own
// architecture (a lab may mix amd64 and arm64 hosts).
func (r *Runner) probeImage(ctx context.Context, l *lab.Lab, facts map[string]*cluster.Facts) (*probeimage.Set, error) {
	if !slices.ContainsFunc(l.Workloads, func(w lab.Workload) bool { return w.Image == "" }) {
		return nil, nil
	}
	opts := []probeimage.Option{probeimage.WithLogger(r.logger)}
	if r.probeBinary != "" {
		opts = append(opts, probeimage.WithBinary(r.probeBinary))
	}
	var archs []string
	for _, f := range facts {
		archs = append(archs, f.Arch)
	}
	// An architecture without a probe is an error of its hosts (Ensure).
	return probeimage.NewSet(ctx, archs, opts...)
}

func (ld *imageLoad) wait() (string, []string, error) {
	<-ld.done
	return ld.ref, ld.actions, ld.err
}

// ensureImage loads the probe image where it is missing or stale, once per
// engine, the content of the engine's own architecture.
func (r *Runner) ensureImage(ctx context.Context, c *cluster.Cluster, set *probeimage.Set) (string, []string, error) {
	if set == nil {
		return "", nil, nil
	}
	ph := r.progress.Start("probe image")
	var (
		mu      sync.Mutex
		actions []string
	)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		st := ph.Host(n.Name())
		arch, loaded, err := ensureImageOn(ctx, set, n)
		st.Done(err)
		if loaded {
			what := set.Ref
			if len(set.Archs()) > 1 {
				what += " (" + arch + ")"
			}
			mu.Lock()
			actions = append(actions, fmt.Sprintf("%s: loaded %s", n.Name(), what))
			mu.Unlock()
		}
		return err
	})
	ph.End(err)
	sort.Strings(actions)
	return set.Ref, actions, err
}

// ensureImageOn asks the engine its architecture (the facts' may be a
// cached answer) and loads that architecture's image there if need be.
func ensureImageOn(ctx context.Context, set *probeimage.Set, n *cluster.Node) (string, bool, error) {
	v, err := n.Docker().ServerVersion(ctx)
	if err != nil {
		return "", false, fmt.Errorf("docker engine: %w", err)
	}
	arch := probeimage.NormalizeArch(v.Arch)
	loaded, err := set.Ensure(ctx, n.Docker(), arch)
	return arch, loaded, err
}
