//go:build linux

package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/overlab/overlab/internal/testenv"
)

// fakeMmdebstrap puts an mmdebstrap on PATH that makes a tiny tree the way
// the real one does (the build machine's resolv.conf, generated host keys),
// or fails when FAKE_MMDEBSTRAP_FAIL is set; it counts its builds.
func fakeMmdebstrap(t *testing.T) (count func() int) {
	t.Helper()
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	script := `#!/bin/sh
[ "$1" = --version ] && { echo "mmdebstrap 1.3.5"; exit 0; }
echo build >> ` + calls + `
for a; do dir=$prev; prev=$a; done   # DIR is the second-to-last argument
[ -n "$FAKE_MMDEBSTRAP_FAIL" ] && { mkdir -p "$dir/etc"; echo "E: apt-get update failed" >&2; exit 1; }
mkdir -p "$dir/etc/ssh" "$dir/usr/sbin"
echo "nameserver 192.0.2.53" > "$dir/etc/resolv.conf"
echo buildhost > "$dir/etc/hostname"
touch "$dir/etc/ssh/ssh_host_ed25519_key" "$dir/etc/ssh/ssh_host_ed25519_key.pub" "$dir/etc/ssh/sshd_config"
`
	if err := os.WriteFile(filepath.Join(bin, "mmdebstrap"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	return func() int {
		b, _ := os.ReadFile(calls)
		return strings.Count(string(b), "build")
	}
}

func TestRootfsCacheBuildsOnceAndCleans(t *testing.T) {
	builds := fakeMmdebstrap(t)
	c := RootfsCache{Dir: t.TempDir(), Mirror: "http://mirror.invalid/debian"}
	spec := RootfsSpec{Suite: "trixie", Variant: "minbase", Packages: []string{"docker.io"}}
	// A crashed earlier build left a half tree behind.
	if err := os.MkdirAll(c.Path(spec)+".build/etc", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := c.Ensure(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if dir != c.Path(spec) || builds() != 1 {
		t.Fatalf("Ensure = %s after %d builds", dir, builds())
	}
	if _, err := os.Stat(dir + ".build"); err == nil {
		t.Error("the build directory is left next to the tree")
	}
	for name, want := range map[string]string{"etc/resolv.conf": "", "etc/hostname": ""} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	if keys, _ := filepath.Glob(filepath.Join(dir, "etc/ssh/ssh_host_*")); len(keys) != 0 {
		t.Errorf("host keys of the build left in the tree: %v", keys)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc/ssh/sshd_config")); err != nil {
		t.Error("finishing the tree removed more than the host keys")
	}
	for _, d := range []string{"proc", "sys", "dev", "run", "tmp"} {
		if !dirExists(filepath.Join(dir, d)) {
			t.Errorf("mount point /%s missing", d)
		}
	}
	// Cached: no second build.
	if _, err := c.Ensure(context.Background(), spec); err != nil || builds() != 1 {
		t.Fatalf("second Ensure: %v after %d builds", err, builds())
	}
}

func TestRootfsCacheFailedBuildLeavesNothing(t *testing.T) {
	fakeMmdebstrap(t)
	t.Setenv("FAKE_MMDEBSTRAP_FAIL", "1")
	c := RootfsCache{Dir: t.TempDir(), Mirror: "http://mirror.invalid/debian"}
	spec := RootfsSpec{Suite: "trixie", Variant: "minbase", Packages: []string{"docker.io"}}
	_, err := c.Ensure(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "building the trixie root filesystem") || !strings.Contains(err.Error(), "apt-get update failed") {
		t.Fatalf("error %v: want what failed and mmdebstrap's own words", err)
	}
	for _, p := range []string{c.Path(spec), c.Path(spec) + ".build"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left after a failed build", p)
		}
	}
}

func TestRootfsCacheNeedsMmdebstrap(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	c := RootfsCache{Dir: t.TempDir(), Mirror: "http://mirror.invalid/debian"}
	_, err := c.Ensure(context.Background(), RootfsSpec{Suite: "trixie", Variant: "minbase"})
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y mmdebstrap") {
		t.Fatalf("error %v: want how to install mmdebstrap", err)
	}
}

// A killed mmdebstrap can leave the machine's directories mounted in its
// build tree; removing the tree must not remove through them.
func TestRemoveBuildSparesWhatIsMountedInIt(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "needs root to mount")
	}
	machine := t.TempDir() // stands for the machine's /dev
	if err := os.WriteFile(filepath.Join(machine, "precious"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(t.TempDir(), "trixie-abc.build")
	if err := os.MkdirAll(filepath.Join(build, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(machine, filepath.Join(build, "dev"), "", syscall.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(filepath.Join(build, "dev"), syscall.MNT_DETACH) })
	if err := removeBuild(build); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(build); err == nil {
		t.Error("the build tree is still there")
	}
	if _, err := os.Stat(filepath.Join(machine, "precious")); err != nil {
		t.Errorf("removing the build tree removed what was mounted in it: %v", err)
	}
}
