package probeimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
)

// Set is the probe image for every architecture of a lab's hosts under one
// reference: a swarm service names one image, and each engine holds the
// content of its own architecture under that name (labelled with that
// content's hash, which Ensure checks as for a single image).
type Set struct {
	// Ref is overlab-probe:<tag>. With one architecture the tag is that
	// image's content hash, as for New; with several it digests every
	// architecture's hash, so that a change to any of them renames all.
	Ref    string
	images map[string]*Image
	failed map[string]error // architectures without a probe, and why
}

// NewSet builds the image for each of archs (GOARCH or `uname -m`
// spellings; "" is overlab's own architecture). An architecture whose
// image cannot be made is not an error here: Ensure gives that error to each
// host of that architecture, so that it names the hosts. Err says whether
// any failed.
func NewSet(ctx context.Context, archs []string, opts ...Option) (*Set, error) {
	if len(archs) == 0 {
		return nil, fmt.Errorf("probe image: no architecture to build it for")
	}
	c := newConfig(opts)
	s := &Set{images: map[string]*Image{}, failed: map[string]error{}}
	for _, a := range archs {
		arch := setArch(a)
		if s.images[arch] != nil || s.failed[arch] != nil {
			continue
		}
		img, err := newImage(ctx, c, arch)
		if err != nil {
			s.failed[arch] = err
			continue
		}
		s.images[arch] = img
	}
	if len(s.images) == 0 {
		return s, nil
	}
	s.Ref = Repository + ":" + s.tag()
	for _, img := range s.images {
		img.Ref = s.Ref
	}
	return s, nil
}

func setArch(a string) string {
	if arch := NormalizeArch(a); arch != "" {
		return arch
	}
	return runtime.GOARCH
}

func (s *Set) tag() string {
	archs := s.Archs()
	if len(archs) == 1 {
		return s.images[archs[0]].Hash
	}
	var b strings.Builder
	for _, a := range archs {
		fmt.Fprintf(&b, "%s=%s\n", a, s.images[a].Hash)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:12]
}

// Archs are the set's architectures, sorted.
func (s *Set) Archs() []string {
	out := make([]string, 0, len(s.images))
	for a := range s.images {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Err is the first architecture's error, nil when every one has an image.
func (s *Set) Err() error {
	for _, a := range slices.Sorted(maps.Keys(s.failed)) {
		return s.failed[a]
	}
	return nil
}

// Image is the image for hosts of arch, nil when the set has none.
func (s *Set) Image(arch string) *Image { return s.images[setArch(arch)] }

// Ensure loads the image of arch onto the engine behind api where it is
// missing or stale; it returns whether it imported.
func (s *Set) Ensure(ctx context.Context, api ImageAPI, arch string) (bool, error) {
	if err := s.failed[setArch(arch)]; err != nil {
		return false, err
	}
	img := s.Image(arch)
	if img == nil {
		return false, fmt.Errorf("probe image %s has no content for %s hosts (it has %s)", s.Ref, setArch(arch), strings.Join(s.Archs(), ", "))
	}
	return img.Ensure(ctx, api)
}
