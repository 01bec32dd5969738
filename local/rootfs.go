//go:build linux

package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/log"
)

// DefaultRootfsCache is where built root filesystems are kept, one
// directory per key, shared by every lab on the machine.
const DefaultRootfsCache = "/var/cache/overlab/rootfs"

// rootfsFormat changes whenever what finishRootfs does changes, so that a
// cached tree made by an older overlab is rebuilt rather than trusted.
const rootfsFormat = "1"

// RootfsSpec is a Debian root filesystem built with mmdebstrap.
type RootfsSpec struct {
	Suite    string
	Variant  string
	Packages []string
	// AptOptions are apt settings for the build (mmdebstrap --aptopt), such
	// as forky's `Acquire::Check-Valid-Until "false"`: they change what apt
	// accepts from the mirror, so they are part of the key.
	AptOptions []string
}

// Key names the spec's cached tree: the suite, then a digest of everything
// that makes one tree differ from another. The mirror is not part of it: any
// mirror of the suite gives the same packages.
func (s RootfsSpec) Key() string {
	pkgs := append([]string(nil), s.Packages...)
	sort.Strings(pkgs)
	parts := []string{rootfsFormat, s.Suite, s.Variant, strings.Join(pkgs, ",")}
	if len(s.AptOptions) > 0 { // absent for specs that had none, so their keys stay
		opts := append([]string(nil), s.AptOptions...)
		sort.Strings(opts)
		parts = append(parts, "aptopt:"+strings.Join(opts, "\x00"))
	}
	h := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return s.Suite + "-" + hex.EncodeToString(h[:])[:12]
}

// mmdebstrapArgs is the command that builds the spec into dir from mirror.
func (s RootfsSpec) mmdebstrapArgs(dir, mirror string) []string {
	args := []string{
		"mmdebstrap", "--quiet", "--mode=root", "--format=directory",
		"--variant=" + s.Variant,
	}
	for _, o := range s.AptOptions {
		args = append(args, "--aptopt="+o)
	}
	return append(args, "--include="+strings.Join(s.Packages, ","), s.Suite, dir, mirror)
}

// RootfsCache builds root filesystems once and hands out their paths.
type RootfsCache struct {
	Dir    string
	Mirror string // "" means the mirror apt already uses (see aptMirror)
	Logger log.Logger
}

// Path is where the spec's tree lives once built.
func (c RootfsCache) Path(s RootfsSpec) string { return filepath.Join(c.Dir, s.Key()) }

// Ensure returns the spec's tree, building it first if the cache lacks it.
// A machine-wide lock makes concurrent callers wait for one build; a build
// goes to a temporary directory and is renamed into place only when whole,
// so a crash never leaves a half-built tree that looks finished.
func (c RootfsCache) Ensure(ctx context.Context, s RootfsSpec) (string, error) {
	dir := c.Path(s)
	if dirExists(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(ctx, filepath.Join(c.Dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if dirExists(dir) { // built by whoever held the lock before us
		return dir, nil
	}
	if _, err := execx.Output(ctx, "mmdebstrap", "--version"); err != nil {
		return "", fmt.Errorf("building the %s root filesystem needs mmdebstrap: install it with `apt-get install -y mmdebstrap` (or run `make setup`)", s.Suite)
	}
	mirror := c.Mirror
	if mirror == "" {
		if mirror, err = aptMirror("/etc/apt"); err != nil {
			return "", err
		}
	}
	tmp := dir + ".build"
	if err := removeBuild(tmp); err != nil { // an earlier build that crashed
		return "", err
	}
	logger := c.Logger
	if logger == nil {
		logger = log.NoOp{}
	}
	logger.V(0).Infof("building the Debian %s root filesystem into %s from %s (once; about a minute)", s.Suite, dir, mirror)
	start := time.Now()
	if err := runMmdebstrap(ctx, s.mmdebstrapArgs(tmp, mirror)); err != nil {
		_ = removeBuild(tmp)
		return "", fmt.Errorf("building the %s root filesystem: %w", s.Suite, err)
	}
	if err := finishRootfs(tmp); err != nil {
		_ = removeBuild(tmp)
		return "", fmt.Errorf("preparing the %s root filesystem: %w", s.Suite, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	logger.V(0).Infof("root filesystem %s built in %v", s.Key(), time.Since(start).Round(time.Second))
	return dir, nil
}

// runMmdebstrap runs the build; when ctx ends it asks mmdebstrap to stop
// (SIGTERM, so that it unmounts what it mounted in the tree) and kills it
// only if it has not stopped 30 s later.
func runMmdebstrap(ctx context.Context, args []string) error {
	cmd := execx.Command(ctx, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	return execx.RunCmd(cmd)
}

// removeBuild removes a build directory, first detaching whatever a killed
// mmdebstrap left mounted in it (/proc, /sys, /dev of the chroot): removing
// files through such a mount would remove the machine's own.
func removeBuild(dir string) error {
	if err := unmountUnder(dir); err != nil {
		return fmt.Errorf("%s: %w (remove it by hand once nothing is mounted under it)", dir, err)
	}
	if left := mountsBelow(dir); len(left) > 0 {
		return fmt.Errorf("%s: still mounted below it: %s (unmount them, then remove it)", dir, strings.Join(left, ", "))
	}
	return os.RemoveAll(dir)
}

// finishRootfs makes a fresh tree safe to share between lab hosts: no
// resolver (nothing inside may look a name up beyond the lab), no host keys
// (every host gets its own), no hostname of the machine that built it.
func finishRootfs(root string) error {
	files := map[string]string{
		"etc/resolv.conf": "",
		"etc/hostname":    "",
		"etc/hosts":       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		_ = os.Remove(p) // may be a symlink into the build machine's /run
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	// Mount points the hosts need, whatever the variant left out.
	for _, d := range []string{"proc", "sys", "dev", "run", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	return os.Chmod(filepath.Join(root, "tmp"), 0o1777)
}

// lockFile takes an exclusive flock on path, giving up when ctx ends.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another build (lock %s): %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
