package workload

import (
	"context"
	"errors"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/overlab/overlab/lab"
)

// fakeContainers is one host's containers; removals fail as removeErr says.
type fakeContainers struct {
	ContainerAPI
	list      []container.Summary
	removeErr map[string]error
	removed   []string
}

func (f *fakeContainers) ContainerList(context.Context, container.ListOptions) ([]container.Summary, error) {
	return f.list, nil
}

func (f *fakeContainers) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	if err := f.removeErr[id]; err != nil {
		return err
	}
	f.removed = append(f.removed, id)
	return nil
}

func TestRemoveToleratesGoneAndInProgressButReportsTheRest(t *testing.T) {
	c := func(id string) container.Summary {
		return container.Summary{ID: id, Names: []string{"/" + id}, Labels: lab.Labels("t")}
	}
	one := &fakeContainers{list: []container.Summary{c("a"), c("gone"), c("busy")}, removeErr: map[string]error{
		"gone": cerrdefs.ErrNotFound.WithMessage("No such container: gone"),
		"busy": cerrdefs.ErrConflict.WithMessage("removal of container busy is already in progress"),
	}}
	two := &fakeContainers{list: []container.Summary{c("b"), c("stuck")}, removeErr: map[string]error{
		"stuck": errors.New("device or resource busy"),
	}}
	did, err := Remove(context.Background(), "t", nil, []Host{{Name: "node1", API: one}, {Name: "node2", API: two}})
	if err == nil || !strings.Contains(err.Error(), "node2: device or resource busy") || strings.Contains(err.Error(), "node1") {
		t.Fatalf("got %v; want only node2's real failure, named by host", err)
	}
	if strings.Join(one.removed, ",") != "a" || strings.Join(two.removed, ",") != "b" {
		t.Errorf("removed %v and %v", one.removed, two.removed)
	}
	if len(did) != 4 { // a, gone, busy on node1 (all gone now), b on node2
		t.Errorf("actions %q", did)
	}
}
