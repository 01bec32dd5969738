package runner

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/results"
)

// engineAsk bounds asking the engines their versions: one API call each.
const engineAsk = 10 * time.Second

// engineOptions are the blueprint options that give a lab its hosts'
// engine versions. A lab whose rows, placements or notes depend on them
// asks every engine before compiling (tens of milliseconds: one call
// each, concurrently); another needs none.
func (r *Runner) engineOptions(ctx context.Context, c *cluster.Cluster, l *lab.Lab) []blueprint.Option {
	if !l.EngineConditional() {
		return nil
	}
	return []blueprint.Option{blueprint.WithEngines(engineVersions(ctx, c))}
}

// engineVersions asks every connected engine its version; an engine that
// does not answer is left out (unknown: in every range, and its probes
// fail with the cause anyway).
func engineVersions(ctx context.Context, c *cluster.Cluster) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, engineAsk)
	defer cancel()
	var mu sync.Mutex
	out := map[string]string{}
	_ = c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		v, err := n.Docker().ServerVersion(ctx)
		if err != nil {
			return err
		}
		mu.Lock()
		out[n.Name()] = v.Version
		mu.Unlock()
		return nil
	})
	return out
}

// notRunReason sums up why a lab was not set up or probed: the features
// its hosts lack.
func notRunReason(missing []results.Finding) string {
	var parts []string
	for _, f := range missing {
		parts = append(parts, f.Message+" ("+f.Host+")")
	}
	return strings.Join(parts, "; ")
}
