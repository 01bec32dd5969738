package workload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
)

// flakyEngine fails its starts with errs, in order, then starts; it
// records the containers made, started and removed.
type flakyEngine struct {
	errs                   []error
	made, started, removed []string
}

func (f *flakyEngine) create(context.Context) (string, error) {
	id := fmt.Sprintf("c%d", len(f.made)+1)
	f.made = append(f.made, id)
	return id, nil
}

func (f *flakyEngine) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	f.started = append(f.started, id)
	if n := len(f.started); n <= len(f.errs) {
		return f.errs[n-1]
	}
	return nil
}

func (f *flakyEngine) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	f.removed = append(f.removed, id)
	return nil
}

func TestRunContainerMakesANewOneWhenTheAttachGaveUp(t *testing.T) {
	attach := errors.New("Error response from daemon: attaching to network failed, make sure your network options are correct and check manager logs: context deadline exceeded")
	other := errors.New("Error response from daemon: no such image")
	gone := errors.New("Error response from daemon: network kzglzvtgrjcsd7ciphkq0lotl not found")
	for _, tc := range []struct {
		name                 string
		errs                 []error
		wantStarted, removed string
		wantErr              bool
	}{
		{"first try", nil, "c1", "", false},
		// A second start of c1 would fail: the engine keeps its failed attachment.
		{"attach gave up once", []error{attach}, "c1 c2", "c1", false},
		{"attach gave up every time", []error{attach, attach, attach, attach, attach}, "c1 c2 c3 c4", "c1 c2 c3 c4", true},
		{"another error: no retry", []error{other}, "c1", "", true},
		// The first attach's late release took the node's network away.
		{"network gone after a timed-out attach", []error{attach, gone}, "c1 c2 c3", "c1 c2", false},
		{"network not found on a first try: no retry", []error{gone}, "c1", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &flakyEngine{errs: tc.errs}
			var agains int
			err := runContainer(context.Background(), f, f.create, 0, func(error) { agains++ })
			started, removed := strings.Join(f.started, " "), strings.Join(f.removed, " ")
			if started != tc.wantStarted || removed != tc.removed || (err != nil) != tc.wantErr {
				t.Errorf("started %q, removed %q, error %v; want %q, %q, error %v", started, removed, err, tc.wantStarted, tc.removed, tc.wantErr)
			}
			// Every container removed is announced, but the last one given up on.
			want := len(f.removed)
			if len(f.started) == attachTries && err != nil {
				want--
			}
			if agains != want {
				t.Errorf("told of %d new tries, want %d", agains, want)
			}
			if err != nil && !errors.Is(err, tc.errs[len(f.started)-1]) {
				t.Errorf("error %v does not wrap the engine's", err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &flakyEngine{errs: []error{attach, attach}}
	if err := runContainer(ctx, f, f.create, 0, func(error) {}); err == nil || len(f.started) != 1 {
		t.Errorf("an ended context: %d starts, %v; want 1 and the error", len(f.started), err)
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
