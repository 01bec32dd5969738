//go:build linux

package local

import (
	"path/filepath"
	"strings"

	"github.com/overlab/overlab/shellquote"
)

// RootfsDir holds host i's writable layer of the engine's root filesystem.
func (l Lab) RootfsDir(i int) string { return filepath.Join(l.HostDir(i), "rootfs") }

// RootfsMerged is host i's view of the root filesystem, its daemons' root.
func (l Lab) RootfsMerged(i int) string { return filepath.Join(l.RootfsDir(i), "merged") }

// mountStep is one mount in a host's mount namespace.
type mountStep struct {
	FSType  string // "" for a bind mount
	Source  string
	Target  string
	Options string
	Rbind   bool     // bind with everything mounted below Source
	Mkdir   []string // directories to create first (Target always is)
}

// shell renders the step as one line of the host's script.
func (m mountStep) shell() string {
	q := shellquote.Quote
	dirs := append(append([]string(nil), m.Mkdir...), m.Target)
	for k, d := range dirs {
		dirs[k] = q(d)
	}
	args := []string{"mount"}
	switch {
	case m.FSType != "":
		args = append(args, "-t", m.FSType)
	case m.Rbind:
		args = append(args, "--rbind")
	default:
		args = append(args, "--bind")
	}
	if m.Options != "" {
		args = append(args, "-o", q(m.Options))
	}
	args = append(args, q(m.Source), q(m.Target))
	return "mkdir -p " + strings.Join(dirs, " ") + " && " + strings.Join(args, " ")
}

// rootfsMounts is host i's mount plan for a root filesystem at lower:
// an overlay (lower shared read-only, upper and work the host's own), the
// kernel's file systems, a private /run, and the host's state (config,
// keys, pid files, logs, data root) at the same path inside as outside.
// Every mount lives in the host's own mount namespace: it ends with the
// host's last process and is never seen by the machine.
func (l Lab) rootfsMounts(i int, lower string) []mountStep {
	dir, root := l.RootfsDir(i), l.RootfsMerged(i)
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	in := func(p string) string { return filepath.Join(root, p) }
	return []mountStep{
		{FSType: "overlay", Source: "overlab-rootfs", Target: root, Mkdir: []string{upper, work},
			Options: "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work},
		{FSType: "proc", Source: "proc", Target: in("/proc")},
		{Source: "/sys", Target: in("/sys"), Rbind: true},
		{Source: "/dev", Target: in("/dev"), Rbind: true},
		{FSType: "tmpfs", Source: "overlab-run", Target: in("/run"), Options: "mode=0755"},
		{Source: l.HostDir(i), Target: in(l.HostDir(i))},
		{Source: l.AuthorizedKeysDir(), Target: in(l.AuthorizedKeysDir())},
	}
}
