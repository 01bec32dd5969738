package workload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// waitingJoin is a goroutine of a dump blocked in bulkSyncNode's wait under
// JoinNetwork, shaped as Go prints it (the peer's name is the third
// argument, so another peer's sync prints another pointer).
func waitingJoin(id int, peer string) string {
	return fmt.Sprintf(`goroutine %d [select]:
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).bulkSyncNode(0xc000412a80, {0xc001d0e3c0, 0x1, 0x1}, {%s, 0xc}, 0x1)
	/build/docker/libnetwork/networkdb/cluster.go:688 +0x6a5
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).bulkSync(0xc000412a80, {0xc001c4a600, 0x3, 0x4}, 0x1)
	/build/docker/libnetwork/networkdb/cluster.go:581 +0x1e5
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).JoinNetwork(0xc000412a80, {0xc001b8e1e0, 0x19})
	/build/docker/libnetwork/networkdb/networkdb.go:648 +0x4f3
github.com/docker/docker/libnetwork.(*Network).joinCluster(0xc0004b4c08)
	/build/docker/libnetwork/agent.go:551 +0x45
github.com/docker/docker/daemon/cluster/executor/container.(*controller).Prepare(0xc0005efc70, {0x5632732ce700, 0xc000a262d0})
	/build/docker/daemon/cluster/executor/container/controller.go:135 +0x15f
created by github.com/docker/swarmkit/v2/agent.(*taskManager).run in goroutine 7
	/build/docker/vendor/github.com/moby/swarmkit/v2/agent/task.go:95 +0x4ee
`, id, peer)
}

const periodicWait = `goroutine 77 [select]:
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).bulkSyncNode(0xc000412a80, {0xc001d0e3c0, 0x1, 0x1}, {0xc0019a0000, 0xc}, 0x1)
	/build/docker/libnetwork/networkdb/cluster.go:688 +0x6a5
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).bulkSync(0xc000412a80, {0xc001c4a600, 0x3, 0x4}, 0x0)
	/build/docker/libnetwork/networkdb/cluster.go:581 +0x1e5
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).bulkSyncTables(0xc000412a80)
	/build/docker/libnetwork/networkdb/cluster.go:545 +0x2c5
created by github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).clusterInit in goroutine 1
	/build/docker/libnetwork/networkdb/cluster.go:200 +0x9b0
`

const ingressWait = `goroutine 371 [select]:
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).bulkSyncNode(0xc000412a80, {0xc0007564b0, 0x1, 0x1}, {0xc0006b9280, 0xc}, 0x1)
	/build/docker/libnetwork/networkdb/cluster.go:690 +0x71a
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).JoinNetwork(0xc000412a80, {0xc000f4a020, 0x19})
	/build/docker/libnetwork/networkdb/networkdb.go:648 +0x6e9
github.com/docker/docker/daemon.(*Daemon).setupIngress(0xc000482008, 0xc0003d8588, 0xc000a66c00, {0x55f82e1a9dc8, 0xc0003cc690}, {0x0, 0x0})
	/build/docker/daemon/network.go:164 +0x1a5
`

const sendingJoin = `goroutine 90 [IO wait]:
internal/poll.runtime_pollWait(0x7f5c9c3b0a28, 0x77)
	/usr/lib/go/src/runtime/netpoll.go:351 +0x85
github.com/hashicorp/memberlist.(*Memberlist).SendReliable(0xc0002c2000, 0xc001e4a0f0, {0xc00212a000, 0x1e9, 0x200})
	/build/docker/vendor/github.com/hashicorp/memberlist/memberlist.go:531 +0x8c
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).bulkSyncNode(0xc000412a80, {0xc001d0e3c0, 0x1, 0x1}, {0xc0015ae1b0, 0xc}, 0x1)
	/build/docker/libnetwork/networkdb/cluster.go:677 +0x5c5
github.com/docker/docker/libnetwork/networkdb.(*NetworkDB).JoinNetwork(0xc000412a80, {0xc001b8e1e0, 0x19})
	/build/docker/libnetwork/networkdb/networkdb.go:648 +0x4f3
`

func dump(goroutines ...string) []byte { return []byte(strings.Join(goroutines, "\n")) }

func TestAckWaits(t *testing.T) {
	got := ackWaits(dump(waitingJoin(1412, "0xc0015ae1b0"), periodicWait, ingressWait, sendingJoin))
	if len(got) != 3 {
		t.Fatalf("ackWaits = %+v, want the task's join, the periodic sync and the ingress join waiting, not the send in progress", got)
	}
	if w := got[0]; w.ID != 1412 || !w.Join || !w.Task || w.Ingress || !strings.Contains(w.Call, "0xc0015ae1b0") {
		t.Errorf("task's join wait = %+v", w)
	}
	if w := got[1]; w.ID != 77 || w.Join || w.Task {
		t.Errorf("periodic wait = %+v: not under a network join", w)
	}
	if w := got[2]; w.ID != 371 || !w.Join || w.Task || !w.Ingress {
		t.Errorf("ingress wait = %+v: a join that holds no task", w)
	}
}

// TestAckWaitsRealDumps reads goroutine dumps taken from engines of each
// generation while the race held a join (docs/churn.md §2), named
// ENGINE-KIND-GOROUTINE.txt: KIND stall, a task's join waiting (the task
// is held); ingress, the ingress network's join waiting beside a task that
// it does not hold.
func TestAckWaitsRealDumps(t *testing.T) {
	files, _ := os.ReadDir("testdata/goroutines")
	if len(files) == 0 {
		t.Fatal("no goroutine dumps in testdata/goroutines")
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".txt") {
			continue
		}
		var engine, kind string
		var id int
		if _, err := fmt.Sscanf(strings.ReplaceAll(strings.TrimSuffix(f.Name(), ".txt"), "-", " "), "%s %s %d", &engine, &kind, &id); err != nil || (kind != "stall" && kind != "ingress") {
			t.Fatalf("%s: name it ENGINE-stall-GOROUTINE.txt or ENGINE-ingress-GOROUTINE.txt (%v)", f.Name(), err)
		}
		b, err := os.ReadFile("testdata/goroutines/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		var tasks, ingress []int
		for _, w := range ackWaits(b) {
			if w.Join && w.Task {
				tasks = append(tasks, w.ID)
			}
			if w.Join && w.Ingress {
				ingress = append(ingress, w.ID)
			}
		}
		want := fmt.Sprint([]int{id})
		if kind == "stall" && (fmt.Sprint(tasks) != want || len(ingress) != 0) {
			t.Errorf("%s (engine %s): task joins waiting %v, ingress %v; want %s and none", f.Name(), engine, tasks, ingress, want)
		}
		if kind == "ingress" && (fmt.Sprint(ingress) != want || len(tasks) != 0) {
			t.Errorf("%s (engine %s): ingress joins waiting %v, task joins %v; want %s and none", f.Name(), engine, ingress, tasks, want)
		}
	}
}

// fakeDebug serves one dump per call, in order; an error entry fails that call.
type fakeDebug struct {
	dumps []any
	calls int
}

func (f *fakeDebug) Goroutines(context.Context) ([]byte, error) {
	d := f.dumps[min(f.calls, len(f.dumps)-1)]
	f.calls++
	if err, ok := d.(error); ok {
		return nil, err
	}
	return d.([]byte), nil
}

func TestStallWatch(t *testing.T) {
	start := time.Date(2026, 12, 6, 2, 23, 48, 942e6, time.UTC)
	preparing := []swarm.Task{{ID: "t1", NodeID: "n1", DesiredState: swarm.TaskStateRunning,
		Status: swarm.TaskStatus{State: swarm.TaskStatePreparing, Timestamp: start}}}
	nodeHost := map[string]string{"n1": "node1"}
	tests := []struct {
		name  string
		dumps []any
		want  bool // named
		calls int  // dumps read over the 4 s watched: at 1 s and 2.5 s
	}{
		{"the same call waits in both dumps", []any{dump(waitingJoin(1412, "0xc0015ae1b0")), dump(waitingJoin(1412, "0xc0015ae1b0"))}, true, 2},
		{"one join syncing peer after peer", []any{dump(waitingJoin(1412, "0xc0015ae1b0")), dump(waitingJoin(1412, "0xc0015ae2d0"))}, false, 2},
		{"only the periodic sync waits", []any{dump(periodicWait), dump(periodicWait)}, false, 2},
		{"only the ingress join waits", []any{dump(ingressWait), dump(ingressWait)}, false, 2},
		{"no wait: the task prepares something else", []any{dump(sendingJoin)}, false, 2},
		{"the engine does not answer", []any{errors.New("timeout")}, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbg := &fakeDebug{dumps: tt.dumps}
			w := newStallWatch([]Host{{Name: "node1", Debug: dbg}, {Name: "node2"}})
			now := start
			w.now = func() time.Time { return now }
			var named []Stall
			for ; now.Before(start.Add(4 * time.Second)); now = now.Add(100 * time.Millisecond) {
				named = append(named, w.observe(context.Background(), "overlab-probe", preparing, nodeHost)...)
			}
			if got := len(named) == 1; got != tt.want || len(named) > 1 {
				t.Fatalf("named %+v, want named=%v once at most", named, tt.want)
			}
			if dbg.calls != tt.calls {
				t.Errorf("%d dumps read, want %d (one per %v once the task prepared %v)", dbg.calls, tt.calls, stallConfirm, stallSuspect)
			}
			if !tt.want {
				return
			}
			st := named[0]
			if st.Host != "node1" || st.Goroutine != 1412 || !st.Since.Equal(start) || st.Seen > 5*time.Second {
				t.Errorf("stall %+v", st)
			}
			msg := st.String()
			for _, want := range []string{"node1:", "overlab-probe", "02:24:18", "moby/moby#47396", "moby/moby#52862", "29.6", "goroutine 1412"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			if _, ok := w.explain("node1"); !ok {
				t.Error("the named host is not explained")
			}
		})
	}
}

func TestStallWatchIgnoresShortPrepares(t *testing.T) {
	dbg := &fakeDebug{dumps: []any{dump(waitingJoin(1, "0x1"))}}
	w := newStallWatch([]Host{{Name: "node1", Debug: dbg}})
	now := time.Now()
	w.now = func() time.Time { return now }
	task := swarm.Task{ID: "t1", NodeID: "n1", DesiredState: swarm.TaskStateRunning, Status: swarm.TaskStatus{State: swarm.TaskStatePreparing}}
	for i := 0; i < 9; i++ { // 0.9 s of preparing
		w.observe(context.Background(), "s", []swarm.Task{task}, map[string]string{"n1": "node1"})
		now = now.Add(100 * time.Millisecond)
	}
	task.Status.State = swarm.TaskStateRunning
	w.observe(context.Background(), "s", []swarm.Task{task}, map[string]string{"n1": "node1"})
	if dbg.calls != 0 {
		t.Errorf("read %d dumps of an engine whose task prepared under %v", dbg.calls, stallSuspect)
	}
}

func TestExplainStalls(t *testing.T) {
	w := newStallWatch(nil)
	w.found["node3"] = Stall{Host: "node3", Since: time.Date(2026, 12, 6, 2, 23, 48, 0, time.UTC)}
	got := explainStalls([]string{"overlab-probe on node3: task preparing since 02:23:48.942", "overlab-probe on node1: task starting since 02:23:50.000"}, w)
	if !strings.Contains(got[0], "NetworkDB bulk-sync race") || !strings.Contains(got[0], "until about 02:24:18") || strings.Contains(got[1], "race") {
		t.Errorf("explained: %q", got)
	}
}
