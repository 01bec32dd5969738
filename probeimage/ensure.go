package probeimage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// ImageAPI is the part of the Docker client that Ensure needs
// (*client.Client satisfies it).
type ImageAPI interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageImport(ctx context.Context, source image.ImportSource, ref string, options image.ImportOptions) (io.ReadCloser, error)
}

// Ensure makes sure the engine behind api has the probe image and returns
// its reference; loaded says whether it had to be imported. For many
// engines, build the Image once with New and call its Ensure.
func Ensure(ctx context.Context, api ImageAPI, opts ...Option) (ref string, loaded bool, err error) {
	c := newConfig(opts)
	img, err := newImage(ctx, c, c.hostArch)
	if err != nil {
		return "", false, err
	}
	loaded, err = img.Ensure(ctx, api)
	return img.Ref, loaded, err
}

// State is what an engine has of the image.
type State string

const (
	StateCurrent State = "current" // the reference exists with this content's label
	StateMissing State = "missing" // no such reference
	StateStale   State = "stale"   // the reference exists with another label
)

// State inspects the engine's copy of the image.
func (img *Image) State(ctx context.Context, api ImageAPI) (State, error) {
	resp, err := api.ImageInspect(ctx, img.Ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return StateMissing, nil
		}
		return "", fmt.Errorf("inspect image %s: %w", img.Ref, err)
	}
	if resp.Config == nil || resp.Config.Labels[LabelHash] != img.Hash {
		return StateStale, nil
	}
	return StateCurrent, nil
}

// Ensure imports the image where it is missing or stale, and checks the
// result; it returns whether it imported.
func (img *Image) Ensure(ctx context.Context, api ImageAPI) (bool, error) {
	state, err := img.State(ctx, api)
	if err != nil {
		return false, err
	}
	if state == StateCurrent {
		img.logger.V(1).Infof("probe image %s is present", img.Ref)
		return false, nil
	}
	img.logger.V(1).Infof("probe image %s is %s: importing", img.Ref, state)
	if err := img.load(ctx, api); err != nil {
		return false, err
	}
	if after, err := img.State(ctx, api); err != nil {
		return true, err
	} else if after != StateCurrent {
		return true, fmt.Errorf("image %s imported but the engine reports it %s", img.Ref, after)
	}
	return true, nil
}

func (img *Image) load(ctx context.Context, api ImageAPI) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(img.WriteTar(pw)) }()
	defer pr.Close() // stops the writer if the import gives up early

	body, err := api.ImageImport(ctx, image.ImportSource{Source: pr, SourceName: "-"}, img.Ref,
		image.ImportOptions{Changes: img.Changes(), Message: "overlab probe", Platform: img.Platform()})
	if err != nil {
		return fmt.Errorf("import image %s: %w", img.Ref, err)
	}
	defer body.Close()
	if err := importError(body); err != nil {
		return fmt.Errorf("import image %s: %w", img.Ref, err)
	}
	return nil
}

// importError reads the engine's progress stream and returns the error it
// reports in-band, if any.
func importError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read the engine's answer: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
