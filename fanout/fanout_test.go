package fanout

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachCollectsEveryErrorWithItsHost(t *testing.T) {
	var ran atomic.Int32
	err := Each(context.Background(), []string{"node3", "node1", "node2"}, func(_ context.Context, i int) error {
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
	if err := Each(context.Background(), []string{"a", "b"}, func(context.Context, int) error { return nil }); err != nil {
		t.Fatalf("all succeeded: %v", err)
	}
}

func TestEachFailFastCancelsTheRestAndReportsTheCause(t *testing.T) {
	names := []string{"a", "b", "c"}
	err := Each(context.Background(), names, func(ctx context.Context, i int) error {
		if i == 1 {
			return errors.New("broken")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New("not cancelled")
		}
	}, Stop(FailFast))
	if err == nil || err.Error() != "b: broken" {
		t.Fatalf("got %v, want only the failing host's error", err)
	}
}

func TestEachFailFastReportsCancellationFromOutside(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int32
	err := Each(ctx, []string{"a", "b"}, func(context.Context, int) error { ran.Add(1); return nil }, Stop(FailFast))
	if !errors.Is(err, context.Canceled) || ran.Load() != 0 {
		t.Fatalf("got %v after %d calls, want context.Canceled and no call", err, ran.Load())
	}
}

func TestEachHonoursTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  context.Context
		opts []Option
		want int32
	}{
		{"default", context.Background(), nil, 10},
		{"from context", WithLimit(context.Background(), 3), nil, 3},
		{"option beats context", WithLimit(context.Background(), 3), []Option{MaxParallel(2)}, 2},
		{"one at a time", WithLimit(context.Background(), 1), nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var now, peak atomic.Int32
			names := make([]string, 10)
			_ = Each(tc.ctx, names, func(context.Context, int) error {
				n := now.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				now.Add(-1)
				return nil
			}, tc.opts...)
			if peak.Load() > tc.want {
				t.Fatalf("peak %d at once, limit %d", peak.Load(), tc.want)
			}
		})
	}
}
