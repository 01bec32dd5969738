//go:build linux

package local

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/overlab/overlab/execx"
)

// Engine is the Docker Engine generation a local lab's hosts run. The zero
// Engine is the machine's own dockerd.
type Engine struct {
	// Name is what --engine takes ("" for the machine's own engine).
	Name string
	// Version is the prefix the engine's version must have ("" for any).
	Version string
	// Rootfs, when set, is the root filesystem the engine runs from;
	// nil means the machine's own binaries.
	Rootfs *RootfsSpec
}

// Chrooted reports whether the host's daemons run from a root filesystem of
// their own rather than from the machine's.
func (e Engine) Chrooted() bool { return e.Rootfs != nil }

// enginePackages are what a chrooted engine's root filesystem holds: the
// engine and its CLI, what the host script and the facts need, sshd, and
// nftables: a cut link that also drops macvlan frames (fault cut, host-cut).
var enginePackages = []string{"docker.io", "docker-cli", "iproute2", "iptables", "nftables", "openssh-server", "busybox-static", "ca-certificates"}

// engines are the generations `local up --engine` knows. 20.10 is Debian
// 12's own docker.io; 26.1 is Debian 13's and 28.5 Debian forky's, which
// need a newer libc and so run from a root filesystem of their suite.
var engines = map[string]Engine{
	"20.10": {Name: "20.10", Version: "20.10"},
	"26.1": {Name: "26.1", Version: "26.1", Rootfs: &RootfsSpec{
		Suite: "trixie", Variant: "minbase", Packages: enginePackages,
	}},
	// forky is Debian's testing suite: its Release file carries a
	// Valid-Until date that mirrors and snapshots let pass, after which apt
	// refuses it as expired. The packages are still signed; only the
	// freshness check is off.
	"28.5": {Name: "28.5", Version: "28.5", Rootfs: &RootfsSpec{
		Suite: "forky", Variant: "minbase", Packages: enginePackages,
		AptOptions: []string{`Acquire::Check-Valid-Until "false"`},
	}},
}

// EngineNames lists the values --engine accepts, sorted.
func EngineNames() []string {
	names := make([]string, 0, len(engines))
	for n := range engines {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseEngine resolves an --engine value; "" is the machine's own engine.
func ParseEngine(name string) (Engine, error) {
	if name == "" {
		return Engine{}, nil
	}
	e, ok := engines[name]
	if !ok {
		return Engine{}, fmt.Errorf("--engine %q: not a known engine; use one of %s (or leave it out for this machine's own dockerd)", name, strings.Join(EngineNames(), ", "))
	}
	return e, nil
}

// checkVersion runs `dockerd --version` (chrooted into root when root is
// not "") and checks that it is the generation e asks for.
func (e Engine) checkVersion(ctx context.Context, dockerd, root string) error {
	if e.Version == "" {
		return nil
	}
	args := []string{dockerd, "--version"}
	if root != "" {
		args = []string{"chroot", root, "/usr/sbin/dockerd", "--version"}
	}
	out, err := execx.Output(ctx, args...)
	if err != nil {
		return fmt.Errorf("engine %s: %w", e.Name, err)
	}
	v := dockerdVersion(string(out))
	if !strings.HasPrefix(v, e.Version+".") {
		where := "this machine's dockerd"
		if root != "" {
			where = "the dockerd of " + root
		}
		return fmt.Errorf("--engine %s: %s is %q, not %s.x; leave --engine out to use it as it is", e.Name, where, v, e.Version)
	}
	return nil
}

// dockerdVersion extracts "20.10.24+dfsg1" from "Docker version 20.10.24+dfsg1, build 5d6db84".
func dockerdVersion(out string) string {
	s := strings.TrimSpace(out)
	s = strings.TrimPrefix(s, "Docker version ")
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	return s
}
