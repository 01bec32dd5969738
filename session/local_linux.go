package session

import (
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/runner"
)

// makeHosts is the command that makes lab hosts and their inventory here.
const makeHosts = "`overlab local up`"

// localRestarter: the hosts of a local lab run engines that overlab itself
// started, so it may restart one that Docker left broken.
func (s *Session) localRestarter() []runner.Option {
	if l, ok := local.OwnsInventory(s.path); ok {
		return []runner.Option{runner.WithEngineRestarter(local.New(local.WithLogger(s.cfg.Logger)).Restarter(l))}
	}
	return nil
}
