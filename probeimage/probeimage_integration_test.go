//go:build linux

package probeimage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/probe"
	"github.com/overlab/overlab/probeimage"
)

// TestProbeImageOnLocalHost imports the image into a real engine over SSH,
// runs two probes on it, probes one from the other with `overlab probe run`
// (one exec, every kind), and times `docker stop`.
func TestProbeImageOnLocalHost(t *testing.T) {
	labtest.Skip(t)
	bin := buildStatic(t)
	lab := labtest.Up(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	sc := lab.SSH(t, 1)
	cli, err := client.NewClientWithOpts(client.WithHost("http://docker.invalid"), client.WithAPIVersionNegotiation(),
		client.WithDialContext(func(ctx context.Context, _, _ string) (net.Conn, error) {
			return sc.DialContext(ctx, "unix", "/var/run/docker.sock")
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	info, err := cli.Info(ctx)
	if err != nil {
		t.Fatalf("docker info over SSH: %v", err)
	}
	if err := probeimage.CheckArch(info.Architecture); err != nil {
		t.Fatal(err)
	}

	img, err := probeimage.New(probeimage.WithBinary(bin))
	if err != nil {
		t.Fatal(err)
	}
	var tarSize countWriter
	if err := img.WriteTar(&tarSize); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	loaded, err := img.Ensure(ctx, cli)
	first := time.Since(start)
	if err != nil || !loaded {
		t.Fatalf("first Ensure: loaded=%v err=%v, want an import", loaded, err)
	}
	start = time.Now()
	ref, loaded, err := probeimage.Ensure(ctx, cli, probeimage.WithBinary(bin), probeimage.WithHostArch(info.Architecture))
	second := time.Since(start)
	if err != nil || loaded || ref != img.Ref {
		t.Fatalf("second Ensure: ref=%s loaded=%v err=%v, want %s already there", ref, loaded, err, img.Ref)
	}
	t.Logf("FIGURE image %s: tar %.1f MB (busybox: %v); first Ensure (import over SSH) %v; second Ensure %v",
		img.Ref, float64(tarSize)/1e6, img.Busybox != "", first.Round(time.Millisecond), second.Round(time.Millisecond))

	ii, err := cli.ImageInspect(ctx, img.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ii.Config.Env, "PATH=/bin:/") || !slices.Equal(ii.Config.Entrypoint, []string{"/overlab", "probe", "serve"}) ||
		ii.Config.Labels[probeimage.LabelHash] != img.Hash || ii.Architecture != img.Binary.Arch {
		t.Errorf("image config: env=%v entrypoint=%v labels=%v arch=%s", ii.Config.Env, ii.Config.Entrypoint, ii.Config.Labels, ii.Architecture)
	}

	a := runProbe(ctx, t, cli, img.Ref, "probe-a")
	b := runProbe(ctx, t, cli, img.Ref, "probe-b")
	bIP := ipOf(ctx, t, cli, b)
	// A check gives both its token on stdin (`probe auth`), as check.Run does.
	tok, err := probe.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a, b} {
		if out, code := execInput(ctx, t, cli, id, probe.InstallRequest(tok, time.Minute), "overlab", "probe", "auth"); code != 0 || out != "" {
			t.Fatalf("probe auth: exit %d, said %q", code, out)
		}
	}

	req := probe.Request{TokenID: tok.ID(), Targets: []probe.Target{
		{ID: "icmp", Kind: probe.KindICMP, Address: bIP},
		{ID: "tcp", Kind: probe.KindTCP, Address: bIP, Port: probe.DefaultTCPPort, Probe: true, Auth: true},
		{ID: "udp", Kind: probe.KindUDP, Address: bIP, Port: probe.DefaultUDPPort, Probe: true, Auth: true},
		{ID: "http", Kind: probe.KindHTTP, Address: bIP, Port: probe.DefaultHTTPPort, Probe: true, Auth: true},
		{ID: "closed", Kind: probe.KindTCP, Address: bIP, Port: 7999, Probe: true, Auth: true},
	}}
	js, _ := json.Marshal(req)
	var rep probe.Report
	// The probes may need a moment to bind: retry the whole exec briefly.
	deadline := time.Now().Add(10 * time.Second)
	var execTime time.Duration
	for {
		start := time.Now()
		out, code := execIn(ctx, t, cli, a, "overlab", "probe", "run", "--targets", string(js))
		execTime = time.Since(start)
		if code != 0 {
			t.Fatalf("probe run exited %d: %s", code, out)
		}
		if rep, err = probe.DecodeReport([]byte(out)); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if rep.Results[1].Reachable || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, r := range rep.Results {
		if r.ID == "closed" {
			if r.Reachable || r.Error != "connection refused" || r.Tries != probe.DefaultTries {
				t.Errorf("closed port: %+v, want refused after %d tries", r, probe.DefaultTries)
			}
			continue
		}
		if !r.Reachable || r.Tries != 1 || (r.Kind != probe.KindICMP && r.Peer != "probe-b") {
			t.Errorf("%s: %+v, want reachable at once from probe-b", r.ID, r)
		}
	}
	t.Logf("FIGURE one docker exec of probe run (%d targets, one refused) in %v; inside the container %.1f ms",
		len(req.Targets), execTime.Round(time.Millisecond), rep.DurationMS)

	// Without this run's proof the probe answers nothing: not busybox's nc,
	// wget or a datagram (run from a, which holds the token but does not
	// send it), nor another run's token.
	out, code := execIn(ctx, t, cli, a, "sh", "-c", fmt.Sprintf("echo hi | nc -w 2 %s 7000; echo nc=$?; wget -q -O - http://%s:8080/ 2>&1; echo wget=$?", bIP, bIP))
	if strings.Contains(out, "overlab-probe") || !strings.Contains(out, "403 Forbidden") || !strings.Contains(out, "nc=0") {
		t.Errorf("busybox nc and wget without a proof: %s, want a connection with no banner and 403", out)
	}
	other, _ := probe.NewToken()
	if out, code := execInput(ctx, t, cli, a, probe.InstallRequest(other, time.Minute), "overlab", "probe", "auth", "--token-dir", "/tmp/other-run"); code != 0 {
		t.Fatalf("probe auth of another run: exit %d, %s", code, out)
	}
	for dir, id := range map[string]string{"/nonexistent": "", "/tmp/other-run": other.ID()} {
		unproven, _ := json.Marshal(probe.Request{TokenID: id, Targets: []probe.Target{
			{ID: "udp", Kind: probe.KindUDP, Address: bIP, Port: probe.DefaultUDPPort, Probe: true, Auth: true},
			{ID: "tcp", Kind: probe.KindTCP, Address: bIP, Port: probe.DefaultTCPPort, Probe: true, Auth: true},
			{ID: "http", Kind: probe.KindHTTP, Address: bIP, Port: probe.DefaultHTTPPort, Probe: true, Auth: true},
		}, TimeoutMS: 500})
		out, code = execIn(ctx, t, cli, a, "overlab", "probe", "run", "--token-dir", dir, "--targets", string(unproven))
		rep, err := probe.DecodeReport([]byte(out))
		if code != 0 || err != nil || len(rep.Results) != 3 {
			t.Fatalf("probe run with the tokens of %s: exit %d, %s", dir, code, out)
		}
		for _, r := range rep.Results {
			if r.Reachable || r.Peer != "" {
				t.Errorf("with the tokens of %s, %s got an answer: %+v", dir, r.ID, r)
			}
		}
	}
	// A probe started by hand (lab show --commands: --open) answers
	// busybox, as a person repeating a check expects.
	o := runProbe(ctx, t, cli, img.Ref, "probe-open", "--open")
	oIP := ipOf(ctx, t, cli, o)
	deadline = time.Now().Add(10 * time.Second)
	for {
		out, code = execIn(ctx, t, cli, a, "sh", "-c", fmt.Sprintf("ping -c 1 -W 2 %s >/dev/null && wget -q -O - http://%s:8080/ && echo hi | nc -w 2 %s 7000", oIP, oIP, oIP))
		if code == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != 0 || !strings.Contains(out, "overlab-probe probe-open") {
		t.Errorf("busybox ping/wget/nc to a probe started with --open: exit %d: %s", code, out)
	}
	// What docker inspect shows of a probe holds no token: none is in its
	// arguments, environment or labels.
	for _, id := range []string{a, b} {
		_, raw, err := cli.ContainerInspectWithRaw(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		secret, code := execIn(ctx, t, cli, id, "sh", "-c", "cut -d' ' -f1 /run/overlab/tokens/"+tok.ID())
		if code != 0 || len(strings.TrimSpace(secret)) != 64 {
			t.Fatalf("the installed token: exit %d %q", code, secret)
		}
		if bytes.Contains(raw, []byte(strings.TrimSpace(secret))) {
			t.Errorf("docker inspect of %s shows the token", id)
		}
	}

	// docker stop: the probe is PID 1 and must exit on SIGTERM at once.
	for _, id := range []string{a, b, o} {
		start := time.Now()
		if err := cli.ContainerStop(ctx, id, container.StopOptions{}); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		ci, err := cli.ContainerInspect(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if ci.State.ExitCode != 0 || took > time.Second {
			t.Errorf("docker stop took %v, exit code %d: want well under a second and a clean exit", took, ci.State.ExitCode)
		}
		t.Logf("FIGURE docker stop of a probe container over SSH: %v (exit %d)", took.Round(time.Millisecond), ci.State.ExitCode)
		if err := cli.ContainerRemove(ctx, id, container.RemoveOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// `down --images`: no probe image is left.
	removed, err := probeimage.Remove(ctx, cli, "")
	if err != nil || !slices.Equal(removed, []string{img.Ref}) {
		t.Errorf("Remove: %v, %v; want [%s]", removed, err, img.Ref)
	}
	if st, err := img.State(ctx, cli); err != nil || st != probeimage.StateMissing {
		t.Errorf("after Remove the image is %s (%v), want missing", st, err)
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func buildStatic(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "overlab")
	cmd := exec.Command("go", "build", "-o", out, "../cmd/overlab")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, b)
	}
	return out
}

func runProbe(ctx context.Context, t *testing.T, cli *client.Client, ref, name string, args ...string) string {
	t.Helper()
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Hostname: name, Cmd: args}, nil, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("remove %s: %v", name, err)
		}
	})
	if err := cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func ipOf(ctx context.Context, t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	ci, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range ci.NetworkSettings.Networks {
		if ep.IPAddress != "" {
			return ep.IPAddress
		}
	}
	t.Fatalf("container %s has no IP address", id)
	return ""
}

// execIn runs cmd in the container and returns its output and exit code.
func execIn(ctx context.Context, t *testing.T, cli *client.Client, id string, cmd ...string) (string, int) {
	t.Helper()
	return execInput(ctx, t, cli, id, nil, cmd...)
}

// execInput is execIn with stdin (none when nil).
func execInput(ctx context.Context, t *testing.T, cli *client.Client, id string, stdin []byte, cmd ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ex, err := cli.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd, AttachStdin: stdin != nil, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	hj, err := cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer hj.Close()
	if stdin != nil {
		if _, err := hj.Conn.Write(stdin); err != nil {
			t.Fatal(err)
		}
		if err := hj.CloseWrite(); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, hj.Reader); err != nil {
		t.Fatal(err)
	}
	st, err := cli.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.ExitCode != 0 {
		return stdout.String() + stderr.String(), st.ExitCode
	}
	return stdout.String(), st.ExitCode
}
