package doctor

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/overlab/overlab/probeimage"
)

// programs picks the listener program for each host's architecture (the
// dedicated probe, see probeimage.ProgramFor), once per architecture.
type programs struct {
	cfg *config
	mu  sync.Mutex
	got map[string]func() (probeimage.Program, error)
}

func newPrograms(cfg *config) *programs {
	return &programs{cfg: cfg, got: map[string]func() (probeimage.Program, error){}}
}

// forHost asks the host's engine its architecture (no shell session), or
// `uname -m` when the engine does not answer.
func (p *programs) forHost(ctx context.Context, t *target) (probeimage.Program, error) {
	var arch string
	if v, err := t.node.Docker().ServerVersion(ctx); err == nil {
		arch = v.Arch
	} else if out, uerr := t.node.Run(ctx, "uname -m"); uerr == nil {
		arch = strings.TrimSpace(string(out))
	} else {
		return probeimage.Program{}, fmt.Errorf("the host's architecture: %w", uerr)
	}
	arch = probeimage.NormalizeArch(arch)
	p.mu.Lock()
	get, ok := p.got[arch]
	if !ok {
		get = sync.OnceValues(func() (probeimage.Program, error) {
			return probeimage.ProgramFor(ctx, arch, probeimage.WithBinary(p.cfg.binary), probeimage.WithLogger(p.cfg.logger))
		})
		p.got[arch] = get
	}
	p.mu.Unlock()
	return get()
}
