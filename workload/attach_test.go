package workload

import (
	"context"
	"errors"
	"testing"

	"github.com/docker/docker/api/types/container"
)

type flakyStarter struct {
	errs  []error
	calls int
}

func (f *flakyStarter) ContainerStart(context.Context, string, container.StartOptions) error {
	f.calls++
	if f.calls <= len(f.errs) {
		return f.errs[f.calls-1]
	}
	return nil
}

func TestStartContainerRetriesOnlyAttachDeadlines(t *testing.T) {
	attach := errors.New("Error response from daemon: attaching to network failed, make sure your network options are correct and check manager logs: context deadline exceeded")
	other := errors.New("Error response from daemon: no such image")
	for _, tc := range []struct {
		name      string
		errs      []error
		wantCalls int
		wantErr   bool
	}{
		{"first try", nil, 1, false},
		{"attach gave up once", []error{attach}, 2, false},
		{"attach gave up every time", []error{attach, attach, attach, attach}, attachTries, true},
		{"another error: no retry", []error{other}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &flakyStarter{errs: tc.errs}
			err := startContainer(context.Background(), f, "c1", 0)
			if f.calls != tc.wantCalls || (err != nil) != tc.wantErr {
				t.Errorf("%d starts, error %v; want %d starts, error %v", f.calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &flakyStarter{errs: []error{attach, attach}}
	if err := startContainer(ctx, f, "c1", 0); err == nil || f.calls != 1 {
		t.Errorf("an ended context: %d starts, %v; want 1 and the error", f.calls, err)
	}
}

func TestManagerBusy(t *testing.T) {
	if !managerBusy(errors.New("Error response from daemon: rpc error: code = DeadlineExceeded desc = context deadline exceeded")) {
		t.Error("the manager's own deadline is a busy manager")
	}
	if managerBusy(errors.New("Error response from daemon: rpc error: code = NotFound desc = service x not found")) {
		t.Error("not found is not busy")
	}
}
