package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runs"
)

// StoreEvery is the longest a watch goes without storing a run when
// nothing changes.
const StoreEvery = 10 * time.Minute

// storePolicy says which rounds become runs: the first, one with a
// transition, and otherwise one every StoreEvery; and it keeps at most
// keep of the runs this watch stored, so that the disk a watch uses stays
// bounded even when a link flaps all day.
type storePolicy struct {
	every time.Duration
	keep  int
	last  time.Time
	first bool
}

func newStorePolicy(every time.Duration, keep int) *storePolicy {
	return &storePolicy{every: every, keep: keep, first: true}
}

// due says whether a round that ended at now, with or without a
// transition, is stored; a stored round resets the clock.
func (p *storePolicy) due(now time.Time, transition bool) bool {
	if !p.first && !transition && now.Sub(p.last) < p.every {
		return false
	}
	p.first, p.last = false, now
	return true
}

// runStore stores a watch's runs under dir and removes the oldest of its
// own beyond the policy's bound; it never touches a run it did not store.
type runStore struct {
	dir    string
	policy *storePolicy
	stored []string // this watch's run directories, oldest first
}

func newRunStore(dir string, every time.Duration, keep int) *runStore {
	return &runStore{dir: dir, policy: newStorePolicy(every, keep)}
}

// maybeStore stores doc when the policy says so, and returns the run's
// directory ("" when not stored).
func (s *runStore) maybeStore(now time.Time, transition bool, doc *results.Document) (string, error) {
	if s == nil || !s.policy.due(now, transition) {
		return "", nil
	}
	run, err := runs.Store(s.dir, doc)
	if err != nil {
		return "", err
	}
	s.stored = append(s.stored, run.Dir)
	return run.Dir, s.prune()
}

// prune removes this watch's oldest runs beyond keep. Each is checked to
// be a directory right under the results directory holding a results.json
// before it goes.
func (s *runStore) prune() error {
	for s.policy.keep > 0 && len(s.stored) > s.policy.keep {
		old := s.stored[0]
		s.stored = s.stored[1:]
		if filepath.Dir(filepath.Clean(old)) != filepath.Clean(s.dir) {
			return fmt.Errorf("not removing %s: not a run of %s", old, s.dir)
		}
		if _, err := os.Stat(filepath.Join(old, runs.ResultsFile)); err != nil {
			return fmt.Errorf("not removing %s: %w", old, err)
		}
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("removing the old run %s: %w", old, err)
		}
	}
	return nil
}
