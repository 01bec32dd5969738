package workload

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"
)

// NetworkDB's bulk-sync race, named while it happens instead of waited out.
//
// When an engine attaches its first task to a swarm network, NetworkDB
// joins the network and sends a bulk sync to each peer it knows there,
// waiting up to 30 s for that peer's reply. Replies are matched by peer
// name only (bulkSyncAckTbl[node]): a second bulk sync to the same peer
// at the same time (a second network's join, the answer to the peer's own
// sync, the periodic sync) replaces the first one's entry, the reply
// releases the other, and the first waits out the full 30 s, holding the
// task in "preparing". Docker Engine up to 29.5 has it (moby/moby#47396,
// #51701); moby/moby#52862 fixed it in 29.6. docs/churn.md §2 has the
// evidence per engine generation.
//
// The engine's own log says so only when the 30 s are over ("Bulk sync to
// node ... timed out"). Its goroutines say so at once, and every engine
// serves them on its API (GET /debug/pprof/goroutine?debug=2, debug mode or
// not): a goroutine blocked in NetworkDB.bulkSyncNode under JoinNetwork.
// A reply normally comes within milliseconds, so the same call still
// blocked in a second dump taken stallConfirm later is the race.

// EngineDebug is what stall detection needs of a host's engine.
type EngineDebug interface {
	// Goroutines returns the engine's goroutine stacks (pprof debug=2).
	Goroutines(ctx context.Context) ([]byte, error)
}

// Upstream references of the race, for messages and docs.
const (
	StallIssues = "moby/moby#47396, moby/moby#51701"
	StallFix    = "moby/moby#52862, in Docker Engine 29.6"
	// stallTimeout is NetworkDB's wait for a bulk sync's reply.
	stallTimeout = 30 * time.Second
)

// Timing of the detection: a task preparing this long gets its engine's
// goroutines read; the same wait seen again stallConfirm later is the race.
// Together well under the 5 s within which it must be named.
const (
	stallSuspect = time.Second
	stallConfirm = 1500 * time.Millisecond
	dumpTimeout  = 3 * time.Second
)

// Stall is the race seen on one host.
type Stall struct {
	Host    string
	Service string
	// Since is when the task began preparing (the engine's clock); the
	// engine gives up waiting about 30 s after the bulk sync began.
	Since     time.Time
	Goroutine int
	// Seen is how long after the task began preparing overlab named it.
	Seen time.Duration
}

func (s Stall) String() string {
	return fmt.Sprintf("%s: the task of %s is held in \"preparing\" by a race in Docker Engine until about %s (30 s): "+
		"the bulk sync of the task's network join lost its peer's reply to another bulk sync to the same peer (%s; fixed by %s). "+
		"The task starts by itself when the timeout ends, and the engine then logs \"Bulk sync to node ... timed out\"; to avoid it, run Docker Engine 29.6 or later. "+
		"Evidence: goroutine %d of %s's dockerd waits in networkdb.(*NetworkDB).bulkSyncNode under JoinNetwork and the task's Prepare, in two goroutine dumps %v apart (GET /debug/pprof/goroutine?debug=2 on its Docker API)",
		s.Host, s.Service, s.Since.Add(stallTimeout).Format("15:04:05"), StallIssues, StallFix, s.Goroutine, s.Host, stallConfirm)
}

// ackWait is a goroutine blocked waiting for a bulk sync's reply.
type ackWait struct {
	ID int
	// Call is the bulkSyncNode frame with its arguments: the same text in
	// two dumps is the same call, not the next peer's sync.
	Call string
	// Join says a network join waits on it; Task, that the join is a
	// task's (the swarm executor preparing it), so the task waits too;
	// Ingress, that it is the ingress network's join, which the engine
	// does on its own when it joins a swarm.
	Join, Task, Ingress bool
}

var goroutineHeader = regexp.MustCompile(`^goroutine (\d+) \[([^\]]*)\]:$`)

// ackWaits finds the goroutines of a dump blocked in bulkSyncNode's wait
// for a reply: state select, bulkSyncNode the first frame outside the Go
// runtime. Its package path differs by generation (vendored libnetwork in
// 20.10), so only the function is matched.
func ackWaits(dump []byte) []ackWait {
	var out []ackWait
	for _, block := range bytes.Split(dump, []byte("\n\n")) {
		sc := bufio.NewScanner(bytes.NewReader(bytes.TrimSpace(block)))
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		if !sc.Scan() {
			continue
		}
		m := goroutineHeader.FindStringSubmatch(sc.Text())
		if m == nil || !strings.HasPrefix(m[2], "select") {
			continue
		}
		id, _ := strconv.Atoi(m[1])
		w, first := ackWait{ID: id}, ""
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "created by ") {
				continue
			}
			if first == "" && !strings.HasPrefix(line, "runtime.") {
				first = line
			}
			switch {
			case strings.Contains(line, "networkdb.(*NetworkDB).JoinNetwork("):
				w.Join = true
			case strings.Contains(line, "executor/container.(*controller).Prepare("):
				w.Task = true
			case strings.Contains(line, "daemon.(*Daemon).setupIngress("):
				w.Ingress = true
			}
		}
		if strings.Contains(first, "networkdb.(*NetworkDB).bulkSyncNode(") {
			w.Call = first
			out = append(out, w)
		}
	}
	return out
}

// stallWatch follows the tasks of one wait and names the race on a host
// whose task it holds. It reads a host's goroutines only while one of its
// tasks has been preparing longer than stallSuspect.
type stallWatch struct {
	debug map[string]EngineDebug // host -> its engine; hosts without one are not watched
	now   func() time.Time
	seen  map[string]time.Time // task ID -> when first seen preparing
	first map[string]dumpSeen  // host -> its last dump's join waits
	found map[string]Stall     // host -> the race, once named
}

type dumpSeen struct {
	at    time.Time
	waits []ackWait
}

func newStallWatch(hosts []Host) *stallWatch {
	w := &stallWatch{debug: map[string]EngineDebug{}, now: time.Now, seen: map[string]time.Time{},
		first: map[string]dumpSeen{}, found: map[string]Stall{}}
	for _, h := range hosts {
		if h.Debug != nil {
			w.debug[h.Name] = h.Debug
		}
	}
	return w
}

// observe looks at one service's tasks and returns the races it names now
// (each host once). A dump that fails is no evidence either way: the wait
// goes on as it would without detection.
func (w *stallWatch) observe(ctx context.Context, service string, tasks []swarm.Task, nodeHost map[string]string) []Stall {
	var named []Stall
	for _, t := range tasks {
		if t.DesiredState != swarm.TaskStateRunning || t.Status.State != swarm.TaskStatePreparing {
			continue
		}
		host := nodeHost[t.NodeID]
		dbg := w.debug[host]
		if dbg == nil {
			continue
		}
		if _, done := w.found[host]; done {
			continue
		}
		now := w.now()
		if _, ok := w.seen[t.ID]; !ok {
			w.seen[t.ID] = now
		}
		if now.Sub(w.seen[t.ID]) < stallSuspect {
			continue
		}
		prev, had := w.first[host]
		if had && now.Sub(prev.at) < stallConfirm {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, dumpTimeout)
		dump, err := dbg.Goroutines(dctx)
		cancel()
		if err != nil {
			w.first[host] = dumpSeen{at: now} // ask again stallConfirm later, not at every poll
			continue
		}
		cur := dumpSeen{at: now, waits: taskWaits(ackWaits(dump))}
		if g, ok := sameWait(prev.waits, cur.waits); had && ok {
			st := Stall{Host: host, Service: service, Since: t.Status.Timestamp, Goroutine: g, Seen: now.Sub(w.seen[t.ID])}
			if st.Since.IsZero() {
				st.Since = w.seen[t.ID]
			}
			w.found[host] = st
			named = append(named, st)
			continue
		}
		w.first[host] = cur
	}
	return named
}

// explain returns the race named on host, if any, for the wait's messages.
func (w *stallWatch) explain(host string) (Stall, bool) {
	st, ok := w.found[host]
	return st, ok
}

// taskWaits keeps the waits that hold a task: a join under the executor's
// Prepare. The ingress join can wait out the same timeout beside a task
// that prepares for another reason; it holds no task.
func taskWaits(ws []ackWait) []ackWait {
	var out []ackWait
	for _, w := range ws {
		if w.Join && w.Task {
			out = append(out, w)
		}
	}
	return out
}

// sameWait reports a call blocked in both dumps: same goroutine, same
// arguments.
func sameWait(a, b []ackWait) (int, bool) {
	for _, x := range a {
		for _, y := range b {
			if x.ID == y.ID && x.Call == y.Call {
				return x.ID, true
			}
		}
	}
	return 0, false
}

// stalls reports races as they are named: a warning, and OnStall.
func (s Spec) stalls(named []Stall) {
	for _, st := range named {
		s.logger().Warnf("%s", st)
		if s.OnStall != nil {
			s.OnStall(st)
		}
	}
}

// explainStalls adds the named cause to the pending lines ("svc on host:
// task preparing since ...") of hosts the race holds.
func explainStalls(pending []string, w *stallWatch) []string {
	out := make([]string, 0, len(pending))
	for _, p := range pending {
		if i := strings.Index(p, " on "); i >= 0 {
			host, _, _ := strings.Cut(p[i+4:], ":")
			if st, ok := w.explain(host); ok {
				p += fmt.Sprintf(" [NetworkDB bulk-sync race (%s), until about %s]", StallIssues, st.Since.Add(stallTimeout).Format("15:04:05"))
			}
		}
		out = append(out, p)
	}
	return out
}
