package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overlab/overlab/runs"
)

// Runs are stored on the first round, on a transition, and otherwise at
// most every ten minutes.
func TestStorePolicy(t *testing.T) {
	p := newStorePolicy(StoreEvery, 0)
	for _, tc := range []struct {
		after      time.Duration
		transition bool
		want       bool
	}{
		{0, false, true}, // the first round
		{15 * time.Second, false, false},
		{30 * time.Second, true, true}, // a transition, whenever it comes
		{45 * time.Second, true, true},
		{9 * time.Minute, false, false},
		{10*time.Minute + 45*time.Second, false, true}, // ten minutes after the last stored
		{11 * time.Minute, false, false},
	} {
		if got := p.due(t0.Add(tc.after), tc.transition); got != tc.want {
			t.Errorf("after %v (transition %v): due %v, want %v", tc.after, tc.transition, got, tc.want)
		}
	}
}

// A watch keeps at most keep of its own runs, and never touches a run it
// did not store.
func TestRunStoreKeepsItsOwnRunsBounded(t *testing.T) {
	dir := t.TempDir()
	theirs, err := runs.Store(dir, loadDoc(t, "pass"))
	if err != nil {
		t.Fatal(err)
	}
	s := newRunStore(dir, StoreEvery, 3)
	doc := loadDoc(t, "vxlan-blocked")
	var mine []string
	for i := 0; i < 7; i++ {
		run, err := s.maybeStore(t0.Add(time.Duration(i)*time.Second), true, doc)
		if err != nil || run == "" {
			t.Fatalf("round %d: %q, %v", i, run, err)
		}
		mine = append(mine, run)
	}
	if _, err := s.maybeStore(t0.Add(time.Minute), false, doc); err != nil {
		t.Fatal(err)
	}
	list, err := runs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 {
		t.Errorf("%d runs under the results directory, want 3 of the watch's and 1 other", len(list))
	}
	if _, err := os.Stat(filepath.Join(theirs.Dir, runs.ResultsFile)); err != nil {
		t.Errorf("a run the watch did not store was touched: %v", err)
	}
	for i, run := range mine {
		_, err := os.Stat(run)
		if kept := err == nil; kept != (i >= 4) {
			t.Errorf("run %d (%s) kept %v", i, run, kept)
		}
	}
	var none *runStore
	if run, err := none.maybeStore(t0, true, doc); run != "" || err != nil {
		t.Errorf("no results directory stored %q, %v", run, err)
	}
}

// prune refuses to remove anything that is not a run right under the
// results directory, whatever its list says.
func TestPruneRefusesWhatIsNotItsRun(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, runs.ResultsFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newRunStore(dir, StoreEvery, 1)
	s.stored = []string{outside, filepath.Join(dir, "x")}
	if err := s.prune(); err == nil {
		t.Error("pruned a directory outside the results directory")
	}
	if _, err := os.Stat(filepath.Join(outside, runs.ResultsFile)); err != nil {
		t.Errorf("the directory outside is gone: %v", err)
	}
}
