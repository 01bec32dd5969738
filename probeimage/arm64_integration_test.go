//go:build linux

package probeimage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/overlab/overlab/internal/testenv"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/probe"
	"github.com/overlab/overlab/probeimage"
)

// TestArm64ProbeImageInContainers runs the arm64 probe image, as overlab
// gives it to arm64 hosts, in containers on a local host whose amd64 engine
// runs it through qemu-user (binfmt_misc with the F flag reaches into
// containers): an arm64 probe reaches another one and an amd64 probe, and
// the amd64 probe reaches it, with every probe kind. No arm64 engine is
// needed; see docs/probe.md for what an emulated arm64 engine does.
func TestArm64ProbeImageInContainers(t *testing.T) {
	labtest.Skip(t)
	requireArm64Emulation(t)
	lab := labtest.Up(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
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

	// Two sets, as two labs would have them: arm64 content and amd64
	// content, each under its own reference on this one engine.
	arm, err := probeimage.NewSet(ctx, []string{"aarch64"})
	if err != nil || arm.Err() != nil {
		t.Fatalf("arm64 set: %v %v", err, arm.Err())
	}
	amd, err := probeimage.NewSet(ctx, []string{"x86_64"})
	if err != nil || amd.Err() != nil {
		t.Fatalf("amd64 set: %v %v", err, amd.Err())
	}
	start := time.Now()
	if _, err := arm.Ensure(ctx, cli, "arm64"); err != nil {
		t.Fatalf("import the arm64 image into an amd64 engine: %v", err)
	}
	t.Logf("FIGURE arm64 probe image (%s, %s) imported in %v", arm.Ref, arm.Image("arm64").Binary.Path, time.Since(start).Round(time.Millisecond))
	if _, err := amd.Ensure(ctx, cli, "amd64"); err != nil {
		t.Fatal(err)
	}
	// Engine 20.10 records its own architecture for an import whatever the
	// platform asked (newer engines take it); the label says what is in it.
	ii, err := cli.ImageInspect(ctx, arm.Ref)
	if err != nil || ii.Config == nil || ii.Config.Labels["org.overlab.probe.arch"] != "arm64" {
		t.Fatalf("arm64 image: %v, labels %v", err, ii.Config)
	}
	t.Logf("the engine records the arm64 import as %s", ii.Architecture)

	start = time.Now()
	a1 := runProbe(ctx, t, cli, arm.Ref, "arm-a")
	a2 := runProbe(ctx, t, cli, arm.Ref, "arm-b")
	x := runProbe(ctx, t, cli, amd.Ref, "amd-c")
	t.Logf("FIGURE three probe containers (two emulated) started in %v", time.Since(start).Round(time.Millisecond))
	// A check gives every probe its token on stdin (`probe auth`), as
	// check.Run does; the probes answer nothing else.
	tok, err := probe.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a1, a2, x} {
		if out, code := execInput(ctx, t, cli, id, probe.InstallRequest(tok, time.Minute), "overlab", "probe", "auth"); code != 0 {
			t.Fatalf("probe auth: exit %d, %s", code, out)
		}
	}
	for _, tc := range []struct{ from, to, peer string }{{a1, a2, "arm-b"}, {a1, x, "amd-c"}, {x, a1, "arm-a"}} {
		rep := probeAll(ctx, t, cli, tc.from, ipOf(ctx, t, cli, tc.to), tok.ID())
		for _, r := range rep.Results {
			if !r.Reachable || (r.Kind != probe.KindICMP && r.Peer != tc.peer) {
				t.Errorf("%s -> %s %s: %+v", rep.Hostname, tc.peer, r.ID, r)
			}
		}
		t.Logf("FIGURE probe run in %s (%s) to %s: %.1f ms inside", rep.Hostname, map[bool]string{true: "amd64", false: "arm64, emulated"}[tc.from == x], tc.peer, rep.DurationMS)
	}
	// Which program ran is the kernel's to say, not the image's label: an
	// emulated process's executable is qemu's aarch64 interpreter (the local
	// host shares this machine's PID namespace). The arm64 image has no
	// shell to ask (this machine's busybox is amd64).
	ci, err := cli.ContainerInspect(ctx, a1)
	if err != nil || ci.State == nil || ci.State.Pid == 0 {
		t.Fatalf("inspect arm-a: %v", err)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", ci.State.Pid))
	if err != nil || !strings.Contains(exe, "aarch64") {
		t.Errorf("arm-a's probe runs %q (%v), want qemu's aarch64 interpreter", exe, err)
	}
}

// probeAll runs one `probe run` in container from with every kind towards ip,
// retrying briefly while the peer's listeners start under emulation.
func probeAll(ctx context.Context, t *testing.T, cli *client.Client, from, ip, tokenID string) probe.Report {
	t.Helper()
	req := probe.Request{TokenID: tokenID, Targets: []probe.Target{
		{ID: "icmp", Kind: probe.KindICMP, Address: ip},
		{ID: "tcp", Kind: probe.KindTCP, Address: ip, Port: probe.DefaultTCPPort, Probe: true, Auth: true},
		{ID: "udp", Kind: probe.KindUDP, Address: ip, Port: probe.DefaultUDPPort, Probe: true, Auth: true},
		{ID: "http", Kind: probe.KindHTTP, Address: ip, Port: probe.DefaultHTTPPort, Probe: true, Auth: true},
	}}
	js, _ := json.Marshal(req)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, code := execIn(ctx, t, cli, from, "overlab", "probe", "run", "--targets", string(js))
		if code != 0 {
			t.Fatalf("probe run exited %d: %s", code, out)
		}
		rep, err := probe.DecodeReport([]byte(out))
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		all := true
		for _, r := range rep.Results {
			all = all && r.Reachable
		}
		if all || time.Now().After(deadline) {
			return rep
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// requireArm64Emulation fails in CI, and skips elsewhere, when this machine
// cannot run arm64 programs (make setup-test registers qemu-aarch64).
func requireArm64Emulation(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	if err == nil && strings.HasPrefix(string(b), "enabled") && strings.Contains(string(b), "flags: PF") {
		return
	}
	testenv.SkipOrFail(t, fmt.Sprintf("no qemu-aarch64 binfmt handler with the F flag (%v): run `make setup-test`", err))
}
