package check

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/probe"
	"github.com/overlab/overlab/results"
)

// fakeEngine answers `overlab probe run` execs (the request on stdin) the
// way the probe program would, with answer deciding each target's result.
// It installs `probe auth` tokens the way the probe program would, from the
// exec's stdin into a directory per container, and remembers every exec's
// command line.
type fakeEngine struct {
	answer   func(src string, t probe.Target) (probe.Result, bool) // false: no result at all
	tokenDir string                                                // per container below it
	mu       sync.Mutex
	execs    map[string]execCall
	cmds     []string
}

type execCall struct {
	container string
	req       probe.Request
	auth      bool
}

func (f *fakeEngine) ContainerExecCreate(_ context.Context, id string, o container.ExecOptions) (container.ExecCreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, strings.Join(o.Cmd, " "))
	if f.execs == nil {
		f.execs = map[string]execCall{}
	}
	if o.Cmd[len(o.Cmd)-1] == "auth" {
		f.execs[id+"-auth"] = execCall{container: id, auth: true}
		return container.ExecCreateResponse{ID: id + "-auth"}, nil
	}
	if o.Cmd[len(o.Cmd)-1] != "run" || !o.AttachStdin {
		return container.ExecCreateResponse{}, fmt.Errorf("want `probe run` with the request on stdin, got %q", o.Cmd)
	}
	execID := id + "-exec"
	f.execs[execID] = execCall{container: id}
	return container.ExecCreateResponse{ID: execID}, nil
}

func (f *fakeEngine) ContainerExecAttach(_ context.Context, execID string, _ container.ExecAttachOptions) (types.HijackedResponse, error) {
	f.mu.Lock()
	call := f.execs[execID]
	f.mu.Unlock()
	if call.auth {
		// `probe auth` reads the token on stdin and prints nothing.
		// Its output ends when it exits, as a real exec's does.
		a, b := net.Pipe()
		outR, outW := io.Pipe()
		go func() {
			defer outW.Close()
			defer b.Close()
			var out, errb bytes.Buffer
			code := probe.Main(context.Background(), []string{"auth", "--token-dir", filepath.Join(f.dir(), call.container)}, probe.Streams{In: b, Out: &out, Err: &errb})
			if code != 0 || out.Len() > 0 {
				panic(fmt.Sprintf("probe auth: exit %d, %s %s", code, out.String(), errb.String()))
			}
		}()
		return types.HijackedResponse{Conn: halfCloser{a}, Reader: bufio.NewReader(outR)}, nil
	}
	// `probe run` reads its request on stdin and prints its report.
	a, b := net.Pipe()
	outR, outW := io.Pipe()
	go func() {
		defer outW.Close()
		in, _ := io.ReadAll(b)
		b.Close()
		var req probe.Request
		if err := json.Unmarshal(in, &req); err != nil {
			panic(fmt.Sprintf("probe run: request %q: %v", in, err))
		}
		f.mu.Lock()
		f.execs[execID] = execCall{container: call.container, req: req}
		f.mu.Unlock()
		rep := probe.Report{Hostname: call.container}
		for _, t := range req.Targets {
			if r, ok := f.answer(call.container, t); ok {
				r.ID, r.Kind = t.ID, t.Kind
				rep.Results = append(rep.Results, r)
			}
		}
		body, _ := json.Marshal(rep)
		_, _ = stdcopy.NewStdWriter(outW, stdcopy.Stdout).Write(body)
	}()
	return types.HijackedResponse{Conn: halfCloser{a}, Reader: bufio.NewReader(outR)}, nil
}

func (f *fakeEngine) ContainerExecInspect(context.Context, string) (container.ExecInspect, error) {
	return container.ExecInspect{ExitCode: 0}, nil
}

func (f *fakeEngine) dir() string { return f.tokenDir }

// halfCloser ends the exec's stdin on CloseWrite, as a hijacked
// connection to the engine does.
type halfCloser struct{ net.Conn }

func (h halfCloser) CloseWrite() error { return h.Conn.Close() }

var hosts = []blueprint.Host{
	{Name: "node1", Address: "192.168.56.11", Role: "manager"},
	{Name: "node2", Address: "192.168.56.12", Role: "worker"},
}

func mustParse(t *testing.T, y string) *lab.Lab {
	t.Helper()
	l, err := lab.Parse([]byte(y), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func run(t *testing.T, l *lab.Lab, inst []lab.Instance, answer func(string, probe.Target) (probe.Result, bool)) []results.Probe {
	t.Helper()
	e := &fakeEngine{answer: answer, tokenDir: t.TempDir()}
	bp, err := blueprint.Compile(l, hosts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), Spec{Blueprint: bp, Instances: inst, Engines: map[string]Execer{"node1": e, "node2": e}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const bridgeLab = `name: t
networks:
  - {name: bridge, driver: bridge, default: true}
workloads:
  - {name: a, networks: [bridge], placement: {hosts: ["$1"]}}
  - {name: far, networks: [bridge], placement: {hosts: ["$2"]}}
expect:
  - from: {workload: far}
    to: {workload: a}
    kind: tcp
    reachable: false
`

// Every host's docker0 is 172.17.0.0/16: the far container's probe of a's
// address reaches whatever holds it on its own host (often itself). Only the
// hostname in the answer tells that it is not a.
func TestLocalNeighbourIsNotThePeer(t *testing.T) {
	l := mustParse(t, bridgeLab)
	inst := []lab.Instance{
		{Workload: "a", Host: "node1", ContainerID: "a1", Hostname: "a-node1", IPs: map[string]string{"bridge": "172.17.0.2"}},
		{Workload: "far", Host: "node2", ContainerID: "far2", Hostname: "far-node2", IPs: map[string]string{"bridge": "172.17.0.2"}},
	}
	for _, tc := range []struct {
		peer   string
		ok     bool
		errHas string
	}{
		{peer: "far-node2", ok: true, errHas: "answered by far-node2, not by a-node1"},
		{peer: "a-node1", ok: false, errHas: "expect #1 (test.yaml:8): reachable, but the lab expects it not to be"},
	} {
		got := run(t, l, inst, func(src string, tg probe.Target) (probe.Result, bool) {
			if src != "far2" || tg.Address != "172.17.0.2" || tg.Port != probe.DefaultTCPPort || !tg.Probe {
				t.Errorf("unexpected target from %s: %+v", src, tg)
			}
			return probe.Result{Reachable: true, Peer: tc.peer}, true
		})
		if len(got) != 1 {
			t.Fatalf("%d rows, want 1", len(got))
		}
		p := got[0]
		// The row says how to do the same by hand, with the real address.
		if want := "node2$ docker exec far sh -c 'echo | nc -w 2 172.17.0.2 7000'"; p.Reproduce != want {
			t.Errorf("reproduce %q, want %q", p.Reproduce, want)
		}
		if p.OK != tc.ok || p.Reachable != !tc.ok || !strings.Contains(p.Error, tc.errHas) {
			t.Errorf("answered by %s: ok %v reachable %v error %q; want ok %v, error with %q", tc.peer, p.OK, p.Reachable, p.Error, tc.ok, tc.errHas)
		}
	}
}

// Where the row expects isolation, a connection the target accepted
// refutes it even when no banner came in time (a busy or CPU-throttled
// probe): only the answer of another peer, or silence, passes.
func TestAcceptedConnectionIsNotIsolation(t *testing.T) {
	l := mustParse(t, bridgeLab)
	inst := []lab.Instance{
		{Workload: "a", Host: "node1", ContainerID: "a1", Hostname: "a-node1", IPs: map[string]string{"bridge": "172.17.0.2"}},
		{Workload: "far", Host: "node2", ContainerID: "far2", Hostname: "far-node2", IPs: map[string]string{"bridge": "172.17.0.3"}},
	}
	for _, tc := range []struct {
		err       string
		reachable bool
	}{
		{probe.ConnectedBut + " no overlab-probe banner: i/o timeout", true},
		{probe.ConnectedBut + " sending the proof failed: broken pipe", true},
		{"i/o timeout", false},
		{"connection refused", false},
	} {
		got := run(t, l, inst, func(string, probe.Target) (probe.Result, bool) {
			return probe.Result{Error: tc.err}, true
		})
		if p := got[0]; p.Reachable != tc.reachable || p.OK == tc.reachable {
			t.Errorf("%q: reachable %v ok %v (%s), want reachable %v", tc.err, p.Reachable, p.OK, p.Error, tc.reachable)
		}
	}
}

// A probe the program did not answer proves nothing, even where the row
// expects unreachable.
func TestNoResultNeverPasses(t *testing.T) {
	l := mustParse(t, bridgeLab)
	inst := []lab.Instance{
		{Workload: "a", Host: "node1", ContainerID: "a1", Hostname: "a-node1", IPs: map[string]string{"bridge": "172.17.0.2"}},
		{Workload: "far", Host: "node2", ContainerID: "far2", Hostname: "far-node2", IPs: map[string]string{"bridge": "172.17.0.3"}},
	}
	got := run(t, l, inst, func(string, probe.Target) (probe.Result, bool) { return probe.Result{}, false })
	if got[0].OK || !strings.Contains(got[0].Error, "expect #1 (test.yaml:8): the probe program returned no result") {
		t.Errorf("no result: ok %v error %q", got[0].OK, got[0].Error)
	}
}

const publishLab = `name: t
networks:
  - {name: pub, driver: bridge}
  - {name: bridge, driver: bridge, default: true}
workloads:
  - {name: web, networks: [pub], ports: ["5000:8080"], placement: {hosts: ["$1"]}}
  - {name: client, networks: [bridge], placement: {hosts: ["$2"]}}
expect:
  - from: {workload: client}
    to: {workload: web, underlay: true, port: 5000}
    kind: http
    reachable: true
`

// A published port answers on the host's address: the answer must come
// from the workload behind it, not from anything else listening there.
func TestUnderlayTargetBehindWorkload(t *testing.T) {
	l := mustParse(t, publishLab)
	inst := []lab.Instance{
		{Workload: "web", Host: "node1", ContainerID: "w1", Hostname: "web-node1", IPs: map[string]string{"pub": "10.200.0.2"}},
		{Workload: "client", Host: "node2", ContainerID: "c2", Hostname: "client-node2", IPs: map[string]string{"bridge": "172.17.0.2"}},
	}
	for _, tc := range []struct {
		peer string
		ok   bool
	}{{"web-node1", true}, {"intruder", false}} {
		got := run(t, l, inst, func(src string, tg probe.Target) (probe.Result, bool) {
			if tg.Kind != probe.KindHTTP || tg.Address != "192.168.56.11" || tg.Port != 5000 {
				t.Errorf("target %+v, want http 192.168.56.11:5000", tg)
			}
			return probe.Result{Reachable: true, Peer: tc.peer}, true
		})
		if got[0].OK != tc.ok {
			t.Errorf("answered by %s: ok %v (%s), want %v", tc.peer, got[0].OK, got[0].Error, tc.ok)
		}
	}
}

// Every probe of the lab gets this run's token through `probe auth` on its
// stdin, never in a command line; the probes' requests name it by its ID
// and prove themselves to probe targets (Auth).
func TestEveryProbeGetsTheRunsTokenOnStdin(t *testing.T) {
	l := mustParse(t, bridgeLab)
	inst := []lab.Instance{
		{Workload: "a", Host: "node1", ContainerID: "a1", Hostname: "a-node1", IPs: map[string]string{"bridge": "172.17.0.2"}},
		{Workload: "far", Host: "node2", ContainerID: "far2", Hostname: "far-node2", IPs: map[string]string{"bridge": "172.17.0.3"}},
	}
	e := &fakeEngine{tokenDir: t.TempDir(), answer: func(_ string, tg probe.Target) (probe.Result, bool) {
		if !tg.Auth {
			t.Errorf("a target that is a probe of the lab without Auth: %+v", tg)
		}
		return probe.Result{}, true
	}}
	if _, err := Run(context.Background(), Spec{Blueprint: compile(t, l), Instances: inst, Engines: map[string]Execer{"node1": e, "node2": e}}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var secrets []string
	for _, c := range []string{"a1", "far2"} {
		entries, err := os.ReadDir(filepath.Join(e.tokenDir, c))
		if err != nil || len(entries) != 1 {
			t.Fatalf("%s: tokens %v %v, want one", c, entries, err)
		}
		ids[entries[0].Name()] = true
		b, _ := os.ReadFile(filepath.Join(e.tokenDir, c, entries[0].Name()))
		secret, _, _ := strings.Cut(string(b), " ")
		secrets = append(secrets, secret)
	}
	if len(ids) != 1 || secrets[0] != secrets[1] || len(secrets[0]) != 64 {
		t.Fatalf("the probes got different tokens: %v", ids)
	}
	for _, call := range e.execs {
		if !call.auth && !ids[call.req.TokenID] {
			t.Errorf("the request of %s names token %q, want the installed one %v", call.container, call.req.TokenID, ids)
		}
	}
	for _, cmd := range e.cmds {
		if strings.Contains(cmd, secrets[0]) {
			t.Errorf("the token is in a command line: %s", cmd)
		}
	}
	// A second run has a token of its own.
	if _, err := Run(context.Background(), Spec{Blueprint: compile(t, l), Instances: inst, Engines: map[string]Execer{"node1": e, "node2": e}}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.tokenDir, "a1")); len(entries) != 2 {
		t.Errorf("after a second run a1 holds %d tokens, want 2 (one per run, each valid for %v)", len(entries), TokenTTL)
	}
}

// refusingEngine cannot run `probe auth` in one container.
type refusingEngine struct {
	*fakeEngine
	refuse string
}

func (r refusingEngine) ContainerExecCreate(ctx context.Context, id string, o container.ExecOptions) (container.ExecCreateResponse, error) {
	if id == r.refuse && o.Cmd[len(o.Cmd)-1] == "auth" {
		return container.ExecCreateResponse{}, fmt.Errorf("container %s is not running", id)
	}
	return r.fakeEngine.ContainerExecCreate(ctx, id, o)
}

// A probe that could not take the token can neither prove its requests nor
// answer: its rows say why instead of failing for no visible reason.
func TestAProbeWithoutTheTokenIsNamed(t *testing.T) {
	l := mustParse(t, bridgeLab)
	inst := []lab.Instance{
		{Workload: "a", Host: "node1", ContainerID: "a1", Hostname: "a-node1", IPs: map[string]string{"bridge": "172.17.0.2"}},
		{Workload: "far", Host: "node2", ContainerID: "far2", Hostname: "far-node2", IPs: map[string]string{"bridge": "172.17.0.3"}},
	}
	e := refusingEngine{&fakeEngine{tokenDir: t.TempDir(), answer: func(string, probe.Target) (probe.Result, bool) {
		t.Error("a probe ran though its target has no token")
		return probe.Result{}, true
	}}, "a1"}
	got, err := Run(context.Background(), Spec{Blueprint: compile(t, l), Instances: inst, Engines: map[string]Execer{"node1": e, "node2": e}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].OK || !strings.Contains(got[0].Error, "the probe a on node1 could not take this check's token") || !strings.Contains(got[0].Error, "container a1 is not running") {
		t.Errorf("row to a probe without the token: ok %v, %q", got[0].OK, got[0].Error)
	}
}

func compile(t *testing.T, l *lab.Lab) *blueprint.Blueprint {
	t.Helper()
	bp, err := blueprint.Compile(l, hosts)
	if err != nil {
		t.Fatal(err)
	}
	return bp
}
