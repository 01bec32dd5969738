//go:build linux

package probeimage_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/internal/testenv"

	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/probeimage"
	"github.com/overlab/overlab/results"
)

// TestCgoBuiltOverlabIsItsOwnProbe builds overlab as a new Go user would on
// a machine with a C compiler (a plain `go build`: cgo, dynamically linked)
// and runs that binary's `up` and `check` on real hosts: the probe image is
// made from it, carrying its loader and libc, and every probe answers.
func TestCgoBuiltOverlabIsItsOwnProbe(t *testing.T) {
	labtest.Skip(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		testenv.SkipOrFail(t, "no C compiler (scripts/setup.sh installs gcc): a plain go build is static here")
	}
	bin := filepath.Join(t.TempDir(), "overlab")
	// As from the module proxy: without the probe that make build embeds
	// (it is not committed), so that overlab is its own probe.
	build := exec.Command("go", "build", "-overlay", withoutEmbeddedProbe(t), "-o", bin, "../cmd/overlab")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := probeimage.InspectBinary(bin)
	if err != nil {
		t.Fatal(err)
	}
	if info.Static || info.Interp == "" {
		t.Fatalf("the cgo build is static (interp %q): this test would prove nothing", info.Interp)
	}

	l := labtest.Up(t, 2)
	run := func(timeout time.Duration, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(args, "-i", l.Inventory)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Logf("overlab %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out), err
	}
	t.Cleanup(func() { _, _ = run(2*time.Minute, "down", "--images") })

	if _, err := run(3*time.Minute, "up", "--wait", "90s"); err != nil {
		t.Fatalf("up with a dynamically linked overlab: %v", err)
	}
	out, err := run(time.Minute, "check", "--format", "json", "--results", t.TempDir())
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	var doc results.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("check's JSON: %v\n%s", err, out)
	}
	if doc.Summary.Total == 0 || doc.Summary.Failed != 0 {
		t.Fatalf("check: %d of %d probes failed, want every probe as expected", doc.Summary.Failed, doc.Summary.Total)
	}
	kinds := map[string]bool{}
	for _, p := range doc.Probes {
		kinds[p.Kind] = true
	}
	for _, k := range []string{"icmp", "tcp", "udp", "dns"} {
		if !kinds[k] {
			t.Errorf("no %s probe ran (kinds %v)", k, kinds)
		}
	}

	// The image on the host is overlab's own with its loader, not a static one.
	env := l.MustRun(t, 1, "docker image inspect -f '{{json .Config.Env}}' $(docker image ls -q overlab-probe | head -n1)")
	if !strings.Contains(env, "LD_LIBRARY_PATH=") {
		t.Errorf("the probe image's environment %s has no LD_LIBRARY_PATH: not the dynamic probe", env)
	}
}

// withoutEmbeddedProbe writes a build overlay that hides the embedded probe.
func withoutEmbeddedProbe(t *testing.T) string {
	t.Helper()
	found, err := filepath.Glob("embedded/overlab-probe-*")
	if err != nil {
		t.Fatal(err)
	}
	replace := map[string]string{}
	for _, f := range found {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		replace[abs] = "" // deleted
	}
	b, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
