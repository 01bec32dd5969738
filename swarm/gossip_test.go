package swarm

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/inventory"
)

func TestListening(t *testing.T) {
	for _, tc := range []struct {
		file string
		want bool
	}{
		// A host out of the swarm: 7946 only as the remote end of
		// connections in TIME_WAIT, never listening.
		{"testdata/proc-net-tcp-free.txt", false},
		// The same host with dockerd still listening on [::]:7946.
		{"testdata/proc-net-tcp-held.txt", true},
	} {
		b, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := listening(b, GossipPort); got != tc.want {
			t.Errorf("%s: listening = %v, want %v", tc.file, got, tc.want)
		}
	}
}

// fakeShell answers the socket tables: held until restarted.
type fakeShell struct {
	held      bool
	restarted int
}

func (f *fakeShell) Run(context.Context, string) ([]byte, error) {
	name := "testdata/proc-net-tcp-free.txt"
	if f.held {
		name = "testdata/proc-net-tcp-held.txt"
	}
	return os.ReadFile(name)
}

type fakeRestarter struct {
	shells map[string]*fakeShell
	err    error
}

func (r *fakeRestarter) RestartEngine(_ context.Context, host string) error {
	if r.err != nil {
		return r.err
	}
	r.shells[host].restarted++
	r.shells[host].held = false
	return nil
}

func TestReleaseGossipNamesTheHostAndTheFix(t *testing.T) {
	m := Member{Host: inventory.Host{Name: "node5"}, Shell: &fakeShell{held: true}}
	_, err := releaseGossip(context.Background(), m, newOptions(nil), 0)
	var stale *StaleGossipError
	if !errors.As(err, &stale) || stale.Host != "node5" {
		t.Fatalf("got %v, want a StaleGossipError for node5", err)
	}
	for _, want := range []string{"7946", "moby/moby#47859", "systemctl restart docker` on node5"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestReleaseGossipRestartsAnEngineOverlabRuns(t *testing.T) {
	sh := &fakeShell{held: true}
	r := &fakeRestarter{shells: map[string]*fakeShell{"node5": sh}}
	did, err := releaseGossip(context.Background(), Member{Host: inventory.Host{Name: "node5"}, Shell: sh}, newOptions([]Option{WithEngineRestarter(r)}), 0)
	if err != nil || sh.restarted != 1 || !strings.Contains(did, "node5: restarted its engine") {
		t.Fatalf("got %q, %v, %d restarts; want one restart, said", did, err, sh.restarted)
	}
	// A free port costs no restart.
	did, err = releaseGossip(context.Background(), Member{Host: inventory.Host{Name: "node5"}, Shell: sh}, newOptions([]Option{WithEngineRestarter(r)}), 0)
	if err != nil || did != "" || sh.restarted != 1 {
		t.Fatalf("free port: got %q, %v, %d restarts", did, err, sh.restarted)
	}
}

func TestEnsureRepairsAStaleHostBeforeItJoins(t *testing.T) {
	lead := &fakeEngine{tokens: swarm.JoinTokens{Worker: workerToken, Manager: managerToken}}
	w1, w2 := &fakeEngine{}, &fakeEngine{}
	ms := members(lead, w1, w2)
	shells := map[string]*fakeShell{}
	for i := range ms {
		shells[ms[i].Host.Name] = &fakeShell{held: ms[i].Host.Name == "node3"}
		ms[i].Shell = shells[ms[i].Host.Name]
	}
	// Without a restarter: nothing is created, and the error names node3.
	_, err := Ensure(context.Background(), ms, WithReadyTimeout(0))
	if err == nil || !strings.Contains(err.Error(), "node3") || lead.inited {
		t.Fatalf("got %v (inited %v), want an error naming node3 before any init", err, lead.inited)
	}
	r := &fakeRestarter{shells: shells}
	res, _ := Ensure(context.Background(), ms, WithReadyTimeout(0), WithEngineRestarter(r))
	if shells["node3"].restarted != 1 || !lead.inited || w2.joined == nil {
		t.Fatalf("node3 restarted %d times, init %v, joined %v", shells["node3"].restarted, lead.inited, w2.joined != nil)
	}
	if !strings.Contains(strings.Join(res.Actions, "\n"), "node3: restarted its engine") {
		t.Errorf("actions do not say what was repaired: %v", res.Actions)
	}
}
