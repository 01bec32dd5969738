package probeimage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/version"
)

// Builder makes a static linux probe program for goarch and returns its
// path. It is asked only when overlab embeds no probe for goarch and cannot
// be that probe itself (a plain `go install`, or overlab on a Mac).
type Builder interface {
	Build(ctx context.Context, goarch string) (string, error)
}

// GoBuilder builds ./cmd/overlab-probe of overlab's module, at the version
// this overlab was installed from, with the Go toolchain that installed it,
// and caches the result: a module version never changes, so each
// architecture is built once per version.
type GoBuilder struct {
	Go       string // the go command ("go": from PATH)
	Version  string // module version; "" for a build from a checkout, which cannot build one
	CacheDir string // where built probes are kept, per version
	Timeout  time.Duration
	Logger   log.Logger
}

// DefaultBuilder builds with `go` from PATH into the user's cache directory
// (~/.cache/overlab/probe, ~/Library/Caches/overlab/probe, %LocalAppData%\overlab\probe).
func DefaultBuilder(l log.Logger) *GoBuilder {
	dir, _ := os.UserCacheDir()
	if dir != "" {
		dir = filepath.Join(dir, "overlab", "probe")
	}
	return &GoBuilder{Go: "go", Version: version.ModuleVersion(), CacheDir: dir, Timeout: 10 * time.Minute, Logger: l}
}

// errNoSource: overlab was built from a checkout without `make build`.
var errNoSource = errors.New("this overlab embeds no probe for it and was built from a checkout, not installed from a module version, " +
	"so there is no source to build one from: build overlab with `make build` (it embeds linux/amd64 and linux/arm64 probes), " +
	"use a release archive, or pass --probe-binary")

// Path is where the probe for goarch is cached.
func (b *GoBuilder) Path(goarch string) string {
	return filepath.Join(b.CacheDir, b.Version, EmbeddedName(goarch))
}

// Build returns the cached probe, or builds it.
func (b *GoBuilder) Build(ctx context.Context, goarch string) (string, error) {
	if b.Version == "" {
		return "", errNoSource
	}
	if b.CacheDir == "" {
		return "", errors.New("no user cache directory to keep a built probe in (set HOME, or XDG_CACHE_HOME)")
	}
	dst := b.Path(goarch)
	if info, err := InspectBinary(dst); err == nil && info.Static && info.Arch == goarch {
		return dst, nil
	}
	if b.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.Timeout)
		defer cancel()
	}
	logger := b.Logger
	if logger == nil {
		logger = log.NoOp{}
	}
	start := time.Now()
	logger.V(0).Infof("building the linux/%s probe of overlab %s with %s (once; cached in %s)", goarch, b.Version, b.Go, filepath.Dir(dst))
	src, err := b.moduleDir(ctx)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if _, err := b.run(ctx, src, []string{"GOOS=linux", "GOARCH=" + goarch},
		"build", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), "./cmd/overlab-probe"); err != nil {
		return "", err
	}
	// Renamed into place whole, so that a second overlab building at the
	// same time, or a build cut short, never leaves half a probe there.
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	logger.V(0).Infof("built the linux/%s probe in %v", goarch, time.Since(start).Round(100*time.Millisecond))
	return dst, nil
}

// moduleDir is the source of overlab's module at b.Version: in the module
// cache already after `go install ...@version`, else fetched as go fetches
// any module.
func (b *GoBuilder) moduleDir(ctx context.Context) (string, error) {
	out, err := b.run(ctx, os.TempDir(), nil, "mod", "download", "-json", version.Module+"@"+b.Version)
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); jerr == nil && m.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", version.Module, b.Version, m.Error)
	}
	if err != nil {
		return "", err
	}
	if m.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s named no directory", version.Module, b.Version)
	}
	return m.Dir, nil
}

// run runs the go command in dir with the environment of a static build
// outside any workspace; its error carries what go said.
func (b *GoBuilder) run(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	goCmd := b.Go
	if goCmd == "" {
		goCmd = "go"
	}
	if _, err := exec.LookPath(goCmd); err != nil {
		return nil, fmt.Errorf("this overlab embeds no probe for it and building one needs the Go toolchain (%s): install Go, "+
			"or use a release archive or `make build`, which embed the probes", goCmd)
	}
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly"}, env...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return out, fmt.Errorf("%s %s: %w: %s", goCmd, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
