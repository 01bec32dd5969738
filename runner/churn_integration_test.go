//go:build linux

package runner_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/progress"
	"github.com/overlab/overlab/runner"
)

// TestChurn is what a class does all afternoon: on 10 hosts, up → check
// (every probe as expected) → down (nothing of the lab left), again and
// again: 5 cycles on this machine's engine, 2 on the second generation
// (make test runs this package on both). Zero failures allowed. Each
// phase's time per cycle is logged; the figures are in docs/churn.md, not
// asserted (the machine is shared).
func TestChurn(t *testing.T) {
	cycles := 5
	if labtest.Engine(t).Chrooted() {
		cycles = 2
	}
	l := labtest.Up(t, 10)
	churn(t, l, cycles)
}

func churn(t *testing.T, l *labtest.Lab, cycles int) {
	t.Helper()
	bin := labtest.ProbeBinary(t)
	swarmLab, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	var said bytes.Buffer
	r := runner.New(runner.WithProbeBinary(bin), runner.WithWait(90*time.Second),
		runner.WithProgress(progress.New(&said, progress.WithVerbosity(progress.Verbose))),
		runner.WithEngineRestarter(local.New().Restarter(l.Lab)))
	ctx := context.Background()
	for i := 1; i <= cycles; i++ {
		said.Reset()
		c, hosts := connect(t, l)
		start := time.Now()
		res, err := r.Up(ctx, c, hosts, swarmLab)
		up := time.Since(start)
		if err != nil {
			c.Close()
			t.Fatalf("cycle %d: up: %v", i, err)
		}
		for _, a := range res.Actions {
			if strings.Contains(a, "restarted its engine") {
				t.Logf("cycle %d: %s", i, a)
			}
		}
		start = time.Now()
		doc, err := r.Check(ctx, c, hosts, swarmLab)
		check := time.Since(start)
		if err != nil {
			c.Close()
			t.Fatalf("cycle %d: check: %v", i, err)
		}
		assertAllOK(t, doc)
		start = time.Now()
		acts, err := r.Down(ctx, c, swarmLab, false)
		down := time.Since(start)
		if err != nil {
			c.Close()
			t.Fatalf("cycle %d: down: %v", i, err)
		}
		restarts := 0
		for _, a := range acts {
			if strings.Contains(a, "restarted its engine") {
				restarts++
			}
		}
		assertNothingLeft(t, c, hosts)
		c.Close()
		t.Logf("cycle %d: up %.1fs, check %.1fs (%d probes), down %.1fs (%d engines restarted)\n  phases: %s",
			i, up.Seconds(), check.Seconds(), doc.Summary.Total, down.Seconds(), restarts, phases(said.String()))
	}
}

// phases lists each phase's time from the progress lines, in order: up's,
// check's, then down's ("08:27:28.752 ✓ facts 2.62s (10 hosts)").
func phases(progressText string) string {
	re := regexp.MustCompile(`(?m)^\S+ [✓✗] (.+?) ([0-9.]+(?:ms|s|m[0-9.]+s))(?: \(.*\))?$`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(progressText, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return strings.Join(out, ", ")
}

// assertNothingLeft checks through the API that down left no swarm, no
// overlab network and no container on any host, and no engine still
// holding the swarm's gossip port.
func assertNothingLeft(t *testing.T, c *cluster.Cluster, hosts []inventory.Host) {
	t.Helper()
	ctx := context.Background()
	for _, n := range c.Nodes {
		api := n.Docker()
		info, err := api.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Swarm.LocalNodeState != swarm.LocalNodeStateInactive {
			t.Errorf("%s still in a swarm (%s)", n.Name(), info.Swarm.LocalNodeState)
		}
		nets, _ := api.NetworkList(ctx, network.ListOptions{})
		for _, nw := range nets {
			if strings.HasPrefix(nw.Name, "overlab-") {
				t.Errorf("%s: network %s left", n.Name(), nw.Name)
			}
		}
		ctrs, _ := api.ContainerList(ctx, container.ListOptions{All: true})
		if len(ctrs) != 0 {
			t.Errorf("%s: %d containers left", n.Name(), len(ctrs))
		}
		out, err := n.Run(ctx, "cat /proc/net/tcp /proc/net/tcp6")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) > 3 && strings.HasSuffix(f[1], ":1F0A") && f[3] == "0A" {
				t.Errorf("%s: still listening on the gossip port 7946 after down", n.Name())
			}
		}
	}
	if len(c.Nodes) != len(hosts) {
		t.Errorf("%d of %d hosts connected", len(c.Nodes), len(hosts))
	}
}
