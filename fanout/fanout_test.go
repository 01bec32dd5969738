package fanout

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestEachCollectsEveryErrorWithItsHost(t *testing.T) {
	var ran atomic.Int32
	err := Each([]string{"node3", "node1", "node2"}, func(i int) error {
		ran.Add(1)
		if i == 1 {
			return nil
		}
		return errors.New("down")
	})
	if ran.Load() != 3 {
		t.Fatalf("ran %d of 3", ran.Load())
	}
	want := "2 errors occurred:\n\t* node2: down\n\t* node3: down\n\n"
	if err == nil || err.Error() != want {
		t.Fatalf("got %q, want %q (every host's error, prefixed, sorted)", err, want)
	}
	if err := Each([]string{"a", "b"}, func(int) error { return nil }); err != nil {
		t.Fatalf("all succeeded: %v", err)
	}
}
