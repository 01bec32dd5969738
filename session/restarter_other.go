//go:build !linux

package session

import "github.com/overlab/overlab/runner"

// localRestarter: local labs exist on Linux only.
func (s *Session) localRestarter() []runner.Option { return nil }
