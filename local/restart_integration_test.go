//go:build linux

package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
)

// TestRestartEngine: the repair for an engine that kept its gossip port
// (swarm.StaleGossipError) is a new dockerd with the same command line and
// environment, inside the host's own namespaces and root, answering over
// SSH when RestartEngine returns; the other host's engine is untouched.
func TestRestartEngine(t *testing.T) {
	l := labtest.Up(t, 2)
	pidOf := func(i int) string {
		b, err := os.ReadFile(filepath.Join(l.HostDir(i), "dockerd.pid"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	proc := func(pid, file string) string {
		b, err := os.ReadFile("/proc/" + pid + "/" + file)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(b), "\x00", " ")
	}
	before1, before2 := pidOf(1), pidOf(2)
	cmdline := proc(before1, "cmdline")
	r := local.New().Restarter(l.Lab)
	if err := r.RestartEngine(context.Background(), "node1"); err != nil {
		t.Fatalf("restart: %v", err)
	}
	after := pidOf(1)
	if after == before1 {
		t.Error("node1's dockerd has the same PID after its restart")
	}
	if pidOf(2) != before2 {
		t.Error("node2's dockerd was restarted too")
	}
	if got := proc(after, "cmdline"); got != cmdline {
		t.Errorf("command line changed:\nbefore %q\nafter  %q", cmdline, got)
	}
	if env := proc(after, "environ"); !strings.Contains(env, "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1") {
		t.Errorf("environment lost: %q", env)
	}
	// It answers through SSH as the host's own engine.
	if out := l.MustRun(t, 1, "docker info --format '{{.Name}}' 2>/dev/null || curl -s --unix-socket /var/run/docker.sock http://d/info"); !strings.Contains(out, "node1") {
		t.Errorf("engine after restart: %q", out)
	}
	if err := r.RestartEngine(context.Background(), "node9"); err == nil {
		t.Error("restarting a host the lab does not have succeeded")
	}
}
