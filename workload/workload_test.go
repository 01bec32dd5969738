package workload

import (
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

func TestReached(t *testing.T) {
	for _, tc := range []struct {
		st, until swarm.TaskState
		want      bool
	}{
		{swarm.TaskStatePreparing, swarm.TaskStateReady, false},
		{swarm.TaskStateReady, swarm.TaskStateReady, true},
		{swarm.TaskStateStarting, swarm.TaskStateReady, true},
		{swarm.TaskStateRunning, swarm.TaskStateReady, true},
		{swarm.TaskStateStarting, swarm.TaskStateRunning, false},
		{swarm.TaskStateRunning, swarm.TaskStateRunning, true},
		{swarm.TaskStateFailed, swarm.TaskStateReady, false},
		{swarm.TaskStateRejected, swarm.TaskStateRunning, false},
	} {
		if got := reached(tc.st, tc.until); got != tc.want {
			t.Errorf("reached(%s, %s) = %v, want %v", tc.st, tc.until, got, tc.want)
		}
	}
}
