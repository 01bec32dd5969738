package probeimage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
)

// Where a probe program comes from, in the order program tries them.
const (
	OriginFile     = "file"     // --probe-binary
	OriginEmbedded = "embedded" // what `make build` embedded for that architecture
	OriginSelf     = "overlab"  // the running overlab: Linux, same architecture
	OriginBuilt    = "built"    // built with the Go toolchain and cached (Builder)
)

// Program is the probe program for hosts of one architecture.
type Program struct {
	Info   BinaryInfo
	Origin string
	data   []byte // the embedded probe's bytes
}

// Open reads the program.
func (p Program) Open() (io.ReadCloser, error) {
	if p.data != nil {
		return io.NopCloser(bytes.NewReader(p.data)), nil
	}
	return os.Open(p.Info.Path)
}

// ProgramFor is the probe program for hosts of goarch (GOARCH or
// `uname -m` spelling): the binary given (WithBinary, which must be of that
// architecture, or any when goarch is ""), else the probe `make build` embedded for it, else the
// running overlab when it is a Linux program of that architecture, else one
// that the Builder makes (and caches) with the Go toolchain.
func ProgramFor(ctx context.Context, goarch string, opts ...Option) (Program, error) {
	return program(ctx, newConfig(opts), goarch)
}

func program(ctx context.Context, c config, goarch string) (Program, error) {
	arch := NormalizeArch(goarch)
	if c.binary != "" {
		// Of the architecture asked for; any when none was.
		info, err := InspectBinary(c.binary)
		if err == nil {
			err = info.CheckArch(arch)
		}
		return Program{Info: info, Origin: OriginFile}, err
	}
	if arch == "" {
		arch = runtime.GOARCH
	}
	if data := embeddedProbe(arch); data != nil && !c.noEmbedded {
		info, err := inspectELF(bytes.NewReader(data), "the embedded overlab-probe-linux-"+arch)
		return Program{Info: info, Origin: OriginEmbedded, data: data}, err
	}
	if exe, err := c.self(); err == nil && runtime.GOOS == "linux" && runtime.GOARCH == arch {
		info, err := InspectBinary(exe)
		return Program{Info: info, Origin: OriginSelf}, err
	}
	path, err := c.builder.Build(ctx, arch)
	if err != nil {
		return Program{}, fmt.Errorf("no probe for linux/%s hosts: %w", arch, err)
	}
	info, err := InspectBinary(path)
	if err != nil {
		return Program{}, err
	}
	if info.Arch != arch || !info.Static {
		return Program{}, fmt.Errorf("the probe built for linux/%s, %s, is %s (static: %v): remove it and run again", arch, path, info.Arch, info.Static)
	}
	return Program{Info: info, Origin: OriginBuilt}, nil
}

// runningProbe is the running overlab, which serves as its own probe.
func runningProbe() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the running overlab binary: %w", err)
	}
	return exe, nil
}

// EmbeddedArchs are the architectures whose probe this overlab embeds.
func EmbeddedArchs() []string {
	entries, _ := embedded.ReadDir("embedded")
	var out []string
	for _, e := range entries {
		if arch, ok := strings.CutPrefix(e.Name(), EmbeddedName("")); ok && embeddedProbe(arch) != nil {
			out = append(out, arch)
		}
	}
	sort.Strings(out)
	return out
}
