package probeimage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/hashicorp/go-multierror"
)

// RemoveAPI is the part of the Docker client that Remove needs.
type RemoveAPI interface {
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error)
}

// Remove deletes the engine's overlab-probe images, all but keep ("" keeps
// none), and returns the references removed. It never forces: an image that
// a container still uses stays, with the engine's reason in the error, and
// the others are removed regardless.
func Remove(ctx context.Context, api RemoveAPI, keep string) ([]string, error) {
	list, err := api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", Repository))})
	if err != nil {
		return nil, fmt.Errorf("list %s images: %w", Repository, err)
	}
	var refs []string
	for _, s := range list {
		for _, tag := range s.RepoTags {
			if strings.HasPrefix(tag, Repository+":") && tag != keep {
				refs = append(refs, tag)
			}
		}
	}
	slices.Sort(refs)
	var removed []string
	var errs []error
	for _, ref := range refs {
		if _, err := api.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove image %s: %w", ref, err))
			continue
		}
		removed = append(removed, ref)
	}
	return removed, multierror.Append(nil, errs...).ErrorOrNil()
}
