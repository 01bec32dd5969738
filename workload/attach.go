package workload

import (
	"context"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// starter is what startContainer needs of an engine.
type starter interface {
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
}

// attachTries bounds the starts of one container whose overlay attachment
// the engine gave up on.
const attachTries = 3

// startContainer starts a container, and again when the engine gave up on
// attaching it to an overlay network within its own deadline: on VMs under
// software emulation an attach takes up to ~30 s and two at once have
// failed that way (docs/vagrant.md). Each try is bounded by ctx (the
// Docker API request timeout); other errors are returned at once.
func startContainer(ctx context.Context, api starter, id string, pause time.Duration) error {
	var err error
	for try := 1; try <= attachTries; try++ {
		err = api.ContainerStart(ctx, id, container.StartOptions{})
		if err == nil || ctx.Err() != nil || !attachGaveUp(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try) * pause):
		}
	}
	return err
}

// attachGaveUp recognises the engine's own deadline on a network
// attachment ("attaching to network failed ... context deadline
// exceeded"), which is not the caller's context ending.
func attachGaveUp(err error) bool {
	s := err.Error()
	return strings.Contains(s, "attaching to network failed") || strings.Contains(s, "context deadline exceeded")
}

// managerBusy recognises a swarm manager's own gRPC deadline on a request
// ("rpc error: code = DeadlineExceeded"): the manager is slow, not wrong.
func managerBusy(err error) bool {
	return strings.Contains(err.Error(), "code = DeadlineExceeded")
}
