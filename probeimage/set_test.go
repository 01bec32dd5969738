package probeimage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeBuilder hands out prebuilt binaries by architecture and counts calls.
type fakeBuilder struct {
	paths map[string]string
	calls []string
}

func (b *fakeBuilder) Build(_ context.Context, goarch string) (string, error) {
	b.calls = append(b.calls, goarch)
	if p, ok := b.paths[goarch]; ok {
		return p, nil
	}
	return "", errors.New("cannot build " + goarch)
}

// A mixed lab gets one reference whose content differs per architecture:
// each engine is loaded with its own and checked against its own hash.
func TestSetOneReferencePerArchitectureContent(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the fixture is an amd64 machine with an arm64 stub")
	}
	b := &fakeBuilder{paths: map[string]string{"arm64": stub(t, "arm64")}}
	opts := []Option{WithBusybox(""), withoutEmbedded(), WithBuilder(b)}
	ctx := context.Background()
	set, err := NewSet(ctx, []string{"x86_64", "aarch64", "amd64", "arm64"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	amd, arm := set.Image("x86_64"), set.Image("aarch64")
	if got := strings.Join(set.Archs(), ","); got != "amd64,arm64" || amd == nil || arm == nil {
		t.Fatalf("archs %s; images %v %v", got, amd, arm)
	}
	if amd.Ref != set.Ref || arm.Ref != set.Ref || amd.Hash == arm.Hash || strings.HasSuffix(set.Ref, amd.Hash) || strings.HasSuffix(set.Ref, arm.Hash) {
		t.Errorf("refs %s %s (set %s), hashes %s %s: want one reference naming both contents", amd.Ref, arm.Ref, set.Ref, amd.Hash, arm.Hash)
	}
	if strings.Join(b.calls, ",") != "arm64" {
		t.Errorf("builder asked for %v; want arm64 once (amd64 is the running binary)", b.calls)
	}
	if arm.Platform() != "linux/arm64" || amd.Platform() != "linux/amd64" {
		t.Errorf("platforms %s %s", amd.Platform(), arm.Platform())
	}

	// Each engine gets its own architecture's content under the one name.
	e1, e2 := &engine{images: map[string]map[string]string{}}, &engine{images: map[string]map[string]string{}}
	for _, tc := range []struct {
		e    *engine
		arch string
		hash string
	}{{e1, "amd64", amd.Hash}, {e2, "aarch64", arm.Hash}} {
		loaded, err := set.Ensure(ctx, tc.e.api(), tc.arch)
		if err != nil || !loaded || tc.e.images[set.Ref][LabelHash] != tc.hash || tc.e.images[set.Ref]["org.overlab.probe.arch"] != NormalizeArch(tc.arch) {
			t.Errorf("%s engine: loaded=%v err=%v labels %v; want %s's content", tc.arch, loaded, err, tc.e.images[set.Ref], tc.hash)
		}
	}
	// Another architecture's content under the name is stale: reloaded.
	e2.images[set.Ref][LabelHash] = amd.Hash
	if loaded, err := set.Ensure(ctx, e2.api(), "arm64"); err != nil || !loaded {
		t.Errorf("arm64 engine holding the amd64 content: loaded=%v err=%v, want a reload", loaded, err)
	}
	if _, err := set.Ensure(ctx, e1.api(), "s390x"); err == nil || !strings.Contains(err.Error(), "no content for s390x") {
		t.Errorf("s390x engine: %v", err)
	}

	// One architecture: the reference is that image's own, as New gives.
	single, err := NewSet(ctx, []string{"amd64"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	img, err := New(opts...)
	if err != nil || single.Ref != img.Ref {
		t.Errorf("single-architecture set %s, New %v %v: want the same reference", single.Ref, img, err)
	}
}

// A host of an architecture that nothing provides is named with the reason.
func TestProgramForSaysWhyThereIsNone(t *testing.T) {
	b := &fakeBuilder{}
	_, err := ProgramFor(context.Background(), "riscv64", WithBuilder(b), withoutEmbedded())
	if err == nil || !strings.Contains(err.Error(), "no probe for linux/riscv64 hosts: cannot build riscv64") {
		t.Errorf("riscv64: %v", err)
	}
	// A built probe of the wrong kind is refused, not loaded.
	b.paths = map[string]string{"arm64": stub(t, "static")}
	if _, err := ProgramFor(context.Background(), "arm64", WithBuilder(b), withoutEmbedded()); err == nil || !strings.Contains(err.Error(), "remove it and run again") {
		t.Errorf("a built probe of the wrong architecture: %v", err)
	}
}

func TestGoBuilderWithoutAModuleVersion(t *testing.T) {
	b := &GoBuilder{Go: "go", CacheDir: t.TempDir()}
	_, err := b.Build(context.Background(), "arm64")
	if !errors.Is(err, errNoSource) || !strings.Contains(err.Error(), "make build") || !strings.Contains(err.Error(), "--probe-binary") {
		t.Errorf("no module version: %v", err)
	}
}

// A probe built once is taken from the cache: no Go toolchain is asked.
func TestGoBuilderUsesItsCache(t *testing.T) {
	b := &GoBuilder{Go: filepath.Join(t.TempDir(), "no-go-here"), Version: "v1.2.3", CacheDir: t.TempDir()}
	if _, err := b.Build(context.Background(), "arm64"); err == nil || !strings.Contains(err.Error(), "needs the Go toolchain") {
		t.Errorf("nothing cached, no go: %v", err)
	}
	data, err := os.ReadFile(stub(t, "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(b.Path("arm64")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.Path("arm64"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Build(context.Background(), "arm64"); err != nil || got != b.Path("arm64") {
		t.Errorf("cached: %s %v", got, err)
	}
	if !strings.Contains(b.Path("arm64"), filepath.Join("v1.2.3", "overlab-probe-linux-arm64")) {
		t.Errorf("cache path %s: want one per version and architecture", b.Path("arm64"))
	}
}

// An architecture without a probe is the error of its hosts only: the
// others still get theirs.
func TestSetNamesTheArchitectureWithoutAProbe(t *testing.T) {
	b := &fakeBuilder{}
	set, err := NewSet(context.Background(), []string{runtime.GOARCH, "riscv64"}, WithBusybox(""), withoutEmbedded(), WithBuilder(b))
	if err != nil {
		t.Fatal(err)
	}
	if set.Err() == nil || set.Image(runtime.GOARCH) == nil || set.Ref != set.Image(runtime.GOARCH).Ref {
		t.Fatalf("set %+v: want the own architecture's image and an error for riscv64", set)
	}
	e := &engine{images: map[string]map[string]string{}}
	if _, err := set.Ensure(context.Background(), e.api(), "riscv64"); err == nil || !strings.Contains(err.Error(), "no probe for linux/riscv64 hosts") || e.imports != 0 {
		t.Errorf("riscv64 host: %v (imports %d)", err, e.imports)
	}
	if loaded, err := set.Ensure(context.Background(), e.api(), runtime.GOARCH); err != nil || !loaded {
		t.Errorf("%s host: %v %v", runtime.GOARCH, loaded, err)
	}
	if _, err := NewSet(context.Background(), nil); err == nil {
		t.Error("a set of no architecture")
	}
}
