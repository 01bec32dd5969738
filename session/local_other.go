//go:build !linux

package session

import "github.com/overlab/overlab/runner"

// makeHosts: local labs exist on Linux only; elsewhere lab hosts are VMs.
const makeHosts = "`overlab vagrant up` (see docs/vagrant.md)"

// localRestarter: local labs exist on Linux only.
func (s *Session) localRestarter() []runner.Option { return nil }
