package workload

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
)

// fakeIngress is an engine whose ingress sandbox is attached from its
// readyAt-th inspection on (never when readyAt is 0).
type fakeIngress struct {
	ContainerAPI
	readyAt, calls int
}

func (f *fakeIngress) NetworkInspect(_ context.Context, id string, _ network.InspectOptions) (network.Inspect, error) {
	f.calls++
	if id != "ingress" {
		return network.Inspect{}, errors.New("unexpected network " + id)
	}
	if f.readyAt == 0 || f.calls < f.readyAt {
		return network.Inspect{}, errors.New("network ingress not found")
	}
	return network.Inspect{Containers: map[string]network.EndpointResource{ingressSandbox: {Name: "ingress-endpoint"}}}, nil
}

func TestWaitIngress(t *testing.T) {
	ready, late, never := &fakeIngress{readyAt: 1}, &fakeIngress{readyAt: 3}, &fakeIngress{}
	s := Spec{Hosts: []Host{{Name: "node1", API: ready}, {Name: "node2", API: late}, {Name: "node3", API: never}, {Name: "node4", API: &fakeContainers{}}}}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	left := s.waitIngress(ctx)
	if strings.Join(left, ",") != "node3" {
		t.Errorf("still joining: %v, want node3 only (node4 cannot be asked)", left)
	}
	if ready.calls != 1 || late.calls != 3 {
		t.Errorf("inspections: %d and %d, want 1 and 3 (none once attached)", ready.calls, late.calls)
	}
}

func TestIngressOnceWaitsOnceAndOnlyWithAManager(t *testing.T) {
	eng := &fakeIngress{readyAt: 1}
	s := Spec{Hosts: []Host{{Name: "node1", API: eng}}}
	s.ingressOnce()(context.Background())
	if eng.calls != 0 {
		t.Fatalf("asked %d times without a swarm manager", eng.calls)
	}
	s.Manager = fakeManager{}
	once := s.ingressOnce()
	once(context.Background())
	once(context.Background())
	if eng.calls != 1 {
		t.Errorf("asked %d times, want once per Ensure", eng.calls)
	}
}

type fakeManager struct{ ServiceAPI }
