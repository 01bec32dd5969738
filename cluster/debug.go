package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// maxGoroutineDump bounds what Goroutines reads: a busy engine's stacks
// are a few hundred KB.
const maxGoroutineDump = 16 << 20

// Goroutines returns the engine's goroutine stacks, GET
// /debug/pprof/goroutine?debug=2 on its API: every engine generation serves
// it on its socket, in debug mode or not. It changes nothing on the engine.
func (n *Node) Goroutines(ctx context.Context) ([]byte, error) {
	cli := n.Docker()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cli.DaemonHost()+"/debug/pprof/goroutine?debug=2", nil)
	if err != nil {
		return nil, err
	}
	resp, err := cli.HTTPClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: engine goroutines: %w", n.Name(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: engine goroutines: %s", n.Name(), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxGoroutineDump))
	if err != nil {
		return nil, fmt.Errorf("%s: engine goroutines: %w", n.Name(), err)
	}
	return b, nil
}
