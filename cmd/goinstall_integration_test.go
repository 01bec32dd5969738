//go:build linux

package cmd_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/internal/testenv"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/probeimage"
)

// TestGoInstallBuildsTheArm64Probe is a user's `go install
// github.com/overlab/overlab/cmd/overlab@VERSION` end to end, offline: the
// working tree becomes that module version in a module proxy of files, go
// installs overlab from it (no make, so no embedded probe), and the installed
// overlab, asked for the probe of an arm64 host, builds it with the Go
// toolchain from the module it came from, caches it, and the probe answers
// when run on this amd64 machine through qemu-user (binfmt_misc).
func TestGoInstallBuildsTheArm64Probe(t *testing.T) {
	labtest.Skip(t)
	if e := os.Getenv("OVERLAB_TEST_ENGINE"); e != "" {
		t.Skipf("no lab host here, so nothing depends on the engine: ran in make test's first pass, not again for engine %s", e)
	}
	requireArm64Emulation(t)
	work := t.TempDir()
	modVersion := moduleProxy(t, filepath.Join(work, "proxy"))
	cacheRoot := strings.TrimSpace(goEnv(t, "GOMODCACHE"))
	env := append(os.Environ(),
		// The tree's module from the file proxy; every dependency from the
		// machine's own module cache, which is laid out as a proxy too.
		"GOPROXY=file://"+filepath.Join(work, "proxy")+",file://"+filepath.Join(cacheRoot, "cache", "download"),
		"GOSUMDB=off", "GOTOOLCHAIN=local", "GOFLAGS=-modcacherw",
		"GOMODCACHE="+filepath.Join(work, "modcache"),
		"GOBIN="+filepath.Join(work, "bin"),
		"XDG_CACHE_HOME="+filepath.Join(work, "cache"))

	start := time.Now()
	run(t, env, "go", "install", "github.com/overlab/overlab/cmd/overlab@"+modVersion)
	t.Logf("FIGURE go install overlab@%s: %v", modVersion, time.Since(start).Round(100*time.Millisecond))
	overlab := filepath.Join(work, "bin", "overlab")

	out := run(t, env, overlab, "version")
	if !strings.Contains(out, "overlab "+modVersion) || !strings.Contains(out, "probes embedded: none") {
		t.Fatalf("overlab version of a go install:\n%s", out)
	}

	// The first arm64 probe is built from the module, then cached.
	probe := filepath.Join(work, "probe-arm64")
	start = time.Now()
	out = run(t, env, overlab, "probe-program", "--arch", "aarch64", "-o", probe)
	first := time.Since(start)
	if !strings.Contains(out, "linux/arm64 probe (built)") {
		t.Fatalf("first arm64 probe: %s", out)
	}
	start = time.Now()
	out = run(t, env, overlab, "probe-program", "--arch", "arm64", "-o", probe+"-again")
	again := time.Since(start)
	cached := filepath.Join(work, "cache", "overlab", "probe", modVersion, probeimage.EmbeddedName("arm64"))
	if _, err := os.Stat(cached); err != nil || !strings.Contains(out, "(built)") || sameFile(t, probe, probe+"-again") != nil {
		t.Fatalf("second arm64 probe: %s, cache %s: %v", out, cached, err)
	}
	t.Logf("FIGURE arm64 probe built from the module: first %v, cached %v", first.Round(100*time.Millisecond), again.Round(10*time.Millisecond))
	info, err := probeimage.InspectBinary(probe)
	if err != nil || info.Arch != "arm64" || !info.Static {
		t.Fatalf("built probe: %+v %v; want a static arm64 program", info, err)
	}
	// Same architecture: a go-installed overlab on Linux is its own probe.
	out = run(t, env, overlab, "probe-program", "--arch", "x86_64", "-o", filepath.Join(work, "probe-amd64"))
	if !strings.Contains(out, "linux/amd64 probe (overlab)") {
		t.Errorf("amd64 probe of a go install on amd64: %s", out)
	}
	answersThroughEmulation(t, probe)
}

// requireArm64Emulation fails in CI, and skips elsewhere, when this machine
// cannot run arm64 programs (scripts/setup.sh installs qemu-user-static and
// binfmt-support and enables the handler).
func requireArm64Emulation(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	if err == nil && strings.HasPrefix(string(b), "enabled") && strings.Contains(string(b), "flags: PF") {
		return
	}
	testenv.SkipOrFail(t, fmt.Sprintf("no qemu-aarch64 binfmt handler with the F flag (%v): run `make setup-test`", err))
}

// answersThroughEmulation runs the arm64 probe's TCP server on loopback and
// reads its greeting: the program works, not only its headers.
func answersThroughEmulation(t *testing.T, probe string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// --open: greet without a check's token, as a probe started by hand does.
	cmd := exec.CommandContext(ctx, probe, "probe", "serve", "--open", "--listen", "127.0.0.1", "--tcp-port", strconv.Itoa(port), "--udp-port", "-1", "--http-port", "-1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if rerr != nil || !strings.HasPrefix(line, "overlab-probe ") {
				t.Fatalf("arm64 probe greeted %q (%v)", line, rerr)
			}
			t.Logf("FIGURE arm64 probe under qemu-user answered after %v", time.Since(start).Round(10*time.Millisecond))
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("arm64 probe did not answer on 127.0.0.1:%d: %v\n%s", port, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// moduleProxy lays the working tree out as the next version of overlab's
// module in a file-based module proxy (GOPROXY=file://dir) and returns that
// version. The version names the content, so a cache never serves an old tree.
func moduleProxy(t *testing.T, dir string) string {
	t.Helper()
	root := strings.TrimSpace(run(t, nil, "git", "rev-parse", "--show-toplevel"))
	list := strings.Split(strings.TrimSpace(run(t, nil, "git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard")), "\n")
	h := sha256.New()
	var files [][2]string
	for _, f := range list {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the working tree
		}
		files = append(files, [2]string{f, string(data)})
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	v := "v0.0.0-test." + hex.EncodeToString(h.Sum(nil))[:12]
	prefix := "github.com/overlab/overlab@" + v + "/"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(prefix + f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	at := filepath.Join(dir, "github.com", "overlab", "overlab", "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	info, _ := json.Marshal(map[string]string{"Version": v, "Time": time.Now().UTC().Format(time.RFC3339)})
	for name, data := range map[string][]byte{"list": []byte(v + "\n"), v + ".info": info, v + ".mod": gomod, v + ".zip": buf.Bytes()} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func goEnv(t *testing.T, name string) string { return run(t, nil, "go", "env", name) }

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func sameFile(t *testing.T, a, b string) error {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		return err
	}
	y, err := os.ReadFile(b)
	if err != nil {
		return err
	}
	if !bytes.Equal(x, y) {
		return fmt.Errorf("%s and %s differ", a, b)
	}
	return nil
}
