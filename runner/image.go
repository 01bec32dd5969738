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
