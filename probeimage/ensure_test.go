package probeimage

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// fakeAPI is an ImageAPI whose methods are func fields; a nil field panics
// through the embedded nil interface, so a test only sets what it expects.
type fakeAPI struct {
	ImageAPI
	inspect    func(ref string) (image.InspectResponse, error)
	importFunc func(src image.ImportSource, ref string, o image.ImportOptions) (io.ReadCloser, error)
}

func (f *fakeAPI) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	return f.inspect(ref)
}

func (f *fakeAPI) ImageImport(_ context.Context, src image.ImportSource, ref string, o image.ImportOptions) (io.ReadCloser, error) {
	return f.importFunc(src, ref, o)
}

// engine is a fake engine's image store: ref -> labels.
type engine struct {
	images  map[string]map[string]string
	imports int
	files   []string
}

func (e *engine) api() *fakeAPI {
	return &fakeAPI{
		inspect: func(ref string) (image.InspectResponse, error) {
			labels, ok := e.images[ref]
			if !ok {
				return image.InspectResponse{}, fmt.Errorf("No such image: %s: %w", ref, cerrdefs.ErrNotFound)
			}
			// As the engine sends it, without naming the spec packages.
			var resp image.InspectResponse
			b, _ := json.Marshal(map[string]any{"Config": map[string]any{"Labels": labels}})
			return resp, json.Unmarshal(b, &resp)
		},
		importFunc: func(src image.ImportSource, ref string, o image.ImportOptions) (io.ReadCloser, error) {
			e.imports++
			if src.SourceName != "-" {
				return nil, fmt.Errorf("source %q, want - (the stream)", src.SourceName)
			}
			tr := tar.NewReader(src.Source)
			e.files = nil
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil, err
				}
				e.files = append(e.files, h.Name)
			}
			labels := map[string]string{}
			for _, c := range o.Changes {
				if kv, ok := strings.CutPrefix(c, "LABEL "); ok {
					k, v, _ := strings.Cut(kv, "=")
					labels[k] = v
				}
			}
			e.images[ref] = labels
			return io.NopCloser(strings.NewReader(`{"status":"sha256:0123"}` + "\n")), nil
		},
	}
}

func TestEnsureLoadsOnlyWhatIsMissingOrStale(t *testing.T) {
	img, err := New(WithBinary(stub(t, "static")), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := &engine{images: map[string]map[string]string{}}

	// Missing: imported, with the binary in the stream.
	loaded, err := img.Ensure(ctx, e.api())
	if err != nil || !loaded || e.imports != 1 {
		t.Fatalf("missing image: loaded=%v imports=%d err=%v", loaded, e.imports, err)
	}
	if !strings.Contains(strings.Join(e.files, " "), "overlab") {
		t.Errorf("imported tar holds %v, no overlab", e.files)
	}
	// Current: nothing to do.
	loaded, err = img.Ensure(ctx, e.api())
	if err != nil || loaded || e.imports != 1 {
		t.Errorf("current image: loaded=%v imports=%d err=%v", loaded, e.imports, err)
	}
	// Stale: the tag exists but names other content (retagged by hand).
	e.images[img.Ref] = map[string]string{LabelHash: "000000000000"}
	if st, _ := img.State(ctx, e.api()); st != StateStale {
		t.Errorf("state %s, want stale", st)
	}
	loaded, err = img.Ensure(ctx, e.api())
	if err != nil || !loaded || e.imports != 2 {
		t.Errorf("stale image: loaded=%v imports=%d err=%v", loaded, e.imports, err)
	}
	// An image without labels at all is stale too.
	e.images[img.Ref] = nil
	if st, _ := img.State(ctx, e.api()); st != StateStale {
		t.Errorf("unlabelled: state %s, want stale", st)
	}
}

func TestEnsureErrors(t *testing.T) {
	img, err := New(WithBinary(stub(t, "static")), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	missing := func(string) (image.InspectResponse, error) {
		return image.InspectResponse{}, fmt.Errorf("No such image: %w", cerrdefs.ErrNotFound)
	}
	tests := []struct {
		name string
		api  *fakeAPI
		want string
	}{
		{"engine down", &fakeAPI{inspect: func(string) (image.InspectResponse, error) {
			return image.InspectResponse{}, errors.New("Cannot connect to the Docker daemon")
		}}, "inspect image overlab-probe:" + img.Hash + ": Cannot connect to the Docker daemon"},
		{"import refused", &fakeAPI{inspect: missing, importFunc: func(image.ImportSource, string, image.ImportOptions) (io.ReadCloser, error) {
			return nil, errors.New("permission denied")
		}}, "import image overlab-probe:" + img.Hash + ": permission denied"},
		{"error in the stream", &fakeAPI{inspect: missing, importFunc: func(src image.ImportSource, _ string, _ image.ImportOptions) (io.ReadCloser, error) {
			io.Copy(io.Discard, src.Source)
			return io.NopCloser(strings.NewReader(`{"status":"Importing"}` + "\n" + `{"errorDetail":{"message":"no space left on device"},"error":"no space left on device"}`)), nil
		}}, "no space left on device"},
		{"engine forgets it", &fakeAPI{inspect: missing, importFunc: func(src image.ImportSource, _ string, _ image.ImportOptions) (io.ReadCloser, error) {
			io.Copy(io.Discard, src.Source)
			return io.NopCloser(strings.NewReader("")), nil
		}}, "imported but the engine reports it missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := img.Ensure(ctx, tc.api)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEnsureChecksHostArch(t *testing.T) {
	e := &engine{images: map[string]map[string]string{}}
	_, _, err := Ensure(context.Background(), e.api(), WithBinary(stub(t, "static")), WithBusybox(""), WithHostArch("s390x"))
	if err == nil || !strings.Contains(err.Error(), "GOARCH=s390x CGO_ENABLED=0 go build") || e.imports != 0 {
		t.Errorf("s390x host: imports=%d err=%v, want a refusal before any import", e.imports, err)
	}
	ref, loaded, err := Ensure(context.Background(), e.api(), WithBinary(stub(t, "static")), WithBusybox(""), WithHostArch(runtime.GOARCH))
	if err != nil || !loaded || !strings.HasPrefix(ref, "overlab-probe:") {
		t.Errorf("matching host: %s %v %v", ref, loaded, err)
	}
}
