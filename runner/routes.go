package runner

import (
	"context"
	"sort"
	"sync"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fault"
)

// upRoutes makes the routes recorded for the lab on each host those the
// blueprint wants: the missing ones added, the ones no longer wanted
// removed (every host is asked: a host may have lost its last route).
func (r *Runner) upRoutes(ctx context.Context, u *upRun) error {
	want := map[string][]fault.WantedRoute{}
	for _, rt := range u.bp.Routes {
		want[rt.Host] = append(want[rt.Host], fault.WantedRoute{Dest: rt.Dest, Via: rt.ViaAddr})
	}
	if len(u.bp.Lab.Routes) == 0 {
		return nil
	}
	ph := r.progress.Start("routes")
	var (
		mu   sync.Mutex
		acts []string
	)
	err := u.c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		did, err := fault.EnsureRoutes(ctx, n, u.l.Name, want[n.Name()])
		mu.Lock()
		acts = append(acts, did...)
		mu.Unlock()
		return err
	})
	sort.Strings(acts)
	return u.phaseActions(ph, acts, err)
}
