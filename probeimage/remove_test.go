package probeimage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
)

type fakeRemoveAPI struct {
	RemoveAPI
	images  []image.Summary
	inUse   string
	removed []string
	filter  string
}

func (f *fakeRemoveAPI) ImageList(_ context.Context, o image.ListOptions) ([]image.Summary, error) {
	f.filter = strings.Join(o.Filters.Get("reference"), ",")
	return f.images, nil
}

func (f *fakeRemoveAPI) ImageRemove(_ context.Context, ref string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	if ref == f.inUse {
		return nil, errors.New("conflict: unable to remove repository reference (must force) - container abc is using its referenced image")
	}
	f.removed = append(f.removed, ref)
	return nil, nil
}

func TestRemove(t *testing.T) {
	// The engine's reference filter also matches other repositories' tags
	// on a shared image: only overlab-probe tags are ours to remove.
	images := []image.Summary{
		{RepoTags: []string{"overlab-probe:aaaaaaaaaaaa"}},
		{RepoTags: []string{"overlab-probe:bbbbbbbbbbbb", "mine:latest"}},
		{RepoTags: []string{"overlab-probe:cccccccccccc"}},
	}
	f := &fakeRemoveAPI{images: images}
	removed, err := Remove(context.Background(), f, "overlab-probe:bbbbbbbbbbbb")
	if err != nil || !slices.Equal(removed, []string{"overlab-probe:aaaaaaaaaaaa", "overlab-probe:cccccccccccc"}) || f.filter != Repository {
		t.Errorf("keep b: removed %v, err %v, filter %q", removed, err, f.filter)
	}

	f = &fakeRemoveAPI{images: images, inUse: "overlab-probe:aaaaaaaaaaaa"}
	removed, err = Remove(context.Background(), f, "")
	if !slices.Equal(removed, []string{"overlab-probe:bbbbbbbbbbbb", "overlab-probe:cccccccccccc"}) ||
		err == nil || !strings.Contains(err.Error(), "remove image overlab-probe:aaaaaaaaaaaa: conflict") {
		t.Errorf("one in use: removed %v, err %v; want the others removed and the conflict reported", removed, err)
	}
}
