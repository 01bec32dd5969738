package workload

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// engine is what runContainer needs of an engine.
type engine interface {
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
}

// attachTries bounds the containers made for one workload on one host
// whose overlay attachment the engine gave up on.
const attachTries = 4

// runContainer creates a container with create and starts it. When the
// engine gives up on attaching it to an overlay network within its own
// deadline (on VMs under software emulation an attach takes up to ~30 s,
// and two at once have failed that way: docs/vagrant.md), the container is
// removed and made anew. Starting the same one again cannot work: the engine
// keeps the failed attachment under the container's ID (moby's
// Cluster.AttachNetwork leaves its attacher behind when it times out), and a
// second start fails with "network ... not found". Each call is bounded by
// ctx (the Docker API request timeout); other errors are returned at once.
//
// After a timed-out attach the engine also releases that attachment, late
// on a slow manager: when it goes, the node drops its copy of the network,
// and a start under way then fails with "network <id> not found" (seen on
// the VMs 42 s after the timeout). That error is retried too, but only
// after a timed-out attach: on a first try it means what it says.
// again hears of each container given up on, with the reason.
func runContainer(ctx context.Context, api engine, create func(context.Context) (string, error), pause time.Duration, again func(error)) error {
	var err error
	for try := 1; try <= attachTries; try++ {
		var id string
		if id, err = create(ctx); err != nil {
			return err
		}
		if err = api.ContainerStart(ctx, id, container.StartOptions{}); err == nil {
			return nil
		}
		err = fmt.Errorf("start: %w", err)
		if ctx.Err() != nil || !(attachGaveUp(err) || try > 1 && networkGone(err)) {
			return err
		}
		if rerr := api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); rerr != nil {
			return fmt.Errorf("%w (then removing the container to try again: %v)", err, rerr)
		}
		if try == attachTries {
			break
		}
		again(err)
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

// networkGone recognises a start whose network vanished from the node
// while it attached ("network kzglz... not found").
func networkGone(err error) bool {
	s := err.Error()
	return strings.Contains(s, "network ") && strings.Contains(s, " not found")
}

// managerBusy recognises a swarm manager's own gRPC deadline on a request
// ("rpc error: code = DeadlineExceeded"): the manager is slow, not wrong.
func managerBusy(err error) bool {
	return strings.Contains(err.Error(), "code = DeadlineExceeded")
}
