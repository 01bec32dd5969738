package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/probe"
	"github.com/overlab/overlab/shellquote"
)

// port is one port Docker multi-host networking needs between the hosts.
type port struct {
	num     int
	proto   string
	manager bool // only towards managers
	what    string
}

var ports = []port{
	{2377, "tcp", true, "swarm management"},
	{7946, "tcp", false, "gossip (node discovery, network state)"},
	{7946, "udp", false, "gossip (node discovery, network state)"},
	{4789, "udp", false, "VXLAN (overlay data)"},
}

// mtuPort keys the extra UDP echo for the path MTU; its number is in why.
var mtuPort = port{num: 0, proto: "udp", what: "path MTU echo"}

func (p port) String() string { return fmt.Sprintf("%d/%s", p.num, p.proto) }

// listener is what a target host says about one of its ports.
type listener struct {
	up, inUse bool
	why       string
}

// netRun is the listeners on every reachable host, ready to be probed.
type netRun struct {
	cfg *config
	up  []*target
	lis map[string]map[port]listener
	err error
	// tok is this run's probe token: doctor's listeners answer only the
	// requests it proves.
	tok probe.Token
}

// tokenTTL bounds a doctor run's token; the listeners stop after 300 s.
const tokenTTL = 10 * time.Minute

// prepare copies the binary to each host and starts its listeners, in one
// round trip per host.
func prepare(ctx context.Context, cfg *config, up []*target) *netRun {
	n := &netRun{cfg: cfg, up: up, lis: map[string]map[port]listener{}}
	start := time.Now()
	var err error
	if n.tok, err = probe.NewToken(); err == nil {
		err = n.start(ctx, newPrograms(cfg))
	}
	n.err = err
	cfg.logger.V(1).Infof("doctor: binary copied and listeners up in %v", time.Since(start).Round(time.Millisecond))
	return n
}

// probe runs the port matrix and the path MTUs at once.
func (n *netRun) probe(ctx context.Context, all []*target) []Result {
	if n.err != nil {
		var out []Result
		for _, t := range n.up {
			out = append(out, Result{Check: CheckPorts, Host: t.Name, Item: "listener", Status: Error, Detail: n.err.Error(),
				Fix: "doctor copies overlab's probe program for each host's architecture to /tmp there: give a static one of the hosts' architecture with --probe-binary"})
		}
		return out
	}
	start := time.Now()
	var ports, mtus []Result
	var wg sync.WaitGroup
	if n.cfg.wants(CheckPorts) {
		wg.Go(func() { ports = portMatrix(ctx, n.cfg, all, n.lis, n.tok.ID()) })
	}
	if n.cfg.wants(CheckMTU) {
		wg.Go(func() { mtus = pathMTUs(ctx, n.cfg, n.up, n.lis, n.tok.ID()) })
	}
	wg.Wait()
	n.cfg.logger.V(1).Infof("doctor: ports and path MTUs probed in %v", time.Since(start).Round(time.Millisecond))
	return append(ports, mtus...)
}

func upTargets(ts []*target) []*target {
	var up []*target
	for _, t := range ts {
		if t.node != nil {
			up = append(up, t)
		}
	}
	return up
}

func namesOf(ts []*target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// cleanup stops the listeners and removes the copied binary, even after
// the command's context ended.
func (n *netRun) cleanup() {
	ts := n.up
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = fanout.Each(ctx, namesOf(ts), func(ctx context.Context, i int) error {
		d := ts[i].dir
		if !strings.HasPrefix(d, "/tmp/overlab-doctor.") {
			return nil
		}
		_, err := ts[i].node.Run(ctx, `for p in `+d+`/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done; rm -rf `+shellquote.Quote(d))
		return err
	})
}

// start copies the binary into a fresh directory under /tmp and runs one
// probe listener per port on the host's lab address; a port the engine
// already holds is marked in use.
func (n *netRun) start(ctx context.Context, progs *programs) error {
	var mu sync.Mutex
	return fanout.Each(ctx, namesOf(n.up), func(ctx context.Context, i int) error {
		t := n.up[i]
		prog, err := progs.forHost(ctx, t)
		if err != nil {
			return err
		}
		f, err := prog.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		// The token's line first, then the binary: the token is never in
		// the script, which ps on the host would show.
		stdin := io.MultiReader(bytes.NewReader(append(probe.InstallRequest(n.tok, tokenTTL), '\n')), f)
		out, err := t.node.RunInput(ctx, listenScript(t.Address), stdin)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if d := lines[0]; strings.HasPrefix(d, "/tmp/overlab-doctor.") {
			t.dir = d
		}
		if err != nil {
			return fmt.Errorf("copying %s and starting the listeners: %w", prog.Info.Path, err)
		}
		m := map[port]listener{}
		for _, l := range lines[1:] {
			spec, rest, _ := strings.Cut(l, " ")
			if spec == "mtu" {
				if _, p, ok := strings.Cut(rest, ":"); ok {
					n, _ := strconv.Atoi(p)
					m[mtuPort] = listener{up: n > 0, why: strconv.Itoa(n)}
				}
				continue
			}
			for _, p := range ports {
				if p.String() == spec {
					state, why, _ := strings.Cut(rest, " ")
					m[p] = listener{up: state == "up", inUse: strings.Contains(why, "address already in use"), why: why}
				}
			}
		}
		mu.Lock()
		n.lis[t.Name] = m
		mu.Unlock()
		return nil
	})
}

func listenScript(addr string) string {
	var b strings.Builder
	b.WriteString(`d=$(mktemp -d /tmp/overlab-doctor.XXXXXX) && echo "$d" && IFS= read -r tok && cat > "$d/overlab" && chmod 700 "$d/overlab" && cd "$d" || exit 1
./overlab probe --help >/dev/null || { echo "the overlab binary does not run here" >&2; exit 1; }
printf '%s\n' "$tok" | ./overlab probe auth --token-dir "$d/tokens" || exit 1
unset tok
T=; command -v timeout >/dev/null && T='timeout 300'
`)
	for _, p := range ports {
		tcp, udp := -1, -1
		if p.proto == "tcp" {
			tcp = p.num
		} else {
			udp = p.num
		}
		fmt.Fprintf(&b, "$T ./overlab probe serve --listen %s --tcp-port %d --udp-port %d --http-port -1 --token-dir \"$d/tokens\" </dev/null >l-%d-%s.log 2>&1 &\necho $! > l-%d-%s.pid\n",
			shellquote.Quote(addr), tcp, udp, p.num, p.proto, p.num, p.proto)
	}
	// The path MTU needs a UDP echo even where the engine holds 7946 and
	// 4789: one more on a port the kernel picks.
	fmt.Fprintf(&b, "$T ./overlab probe serve --listen %s --tcp-port -1 --udp-port 0 --http-port -1 --token-dir \"$d/tokens\" </dev/null >l-mtu.log 2>&1 &\necho $! > l-mtu.pid\n", shellquote.Quote(addr))
	b.WriteString("sleep 0.5\n")
	b.WriteString("echo \"mtu $(grep -o 'udp [0-9.]*:[0-9]*' l-mtu.log | head -n 1)\"\n")
	for _, p := range ports {
		fmt.Fprintf(&b, "if kill -0 $(cat l-%[1]d-%[2]s.pid) 2>/dev/null; then echo '%[1]d/%[2]s up'; else echo \"%[1]d/%[2]s down $(tail -n 1 l-%[1]d-%[2]s.log)\"; fi\n", p.num, p.proto)
	}
	return b.String()
}

// portMatrix probes every port of every target from every other host.
func portMatrix(ctx context.Context, cfg *config, all []*target, lis map[string]map[port]listener, tokenID string) []Result {
	var (
		mu  sync.Mutex
		out []Result
	)
	add := func(r ...Result) { mu.Lock(); out = append(out, r...); mu.Unlock() }
	// Pairs with a host that SSH could not reach cannot be tested.
	for _, s := range all {
		for _, t := range all {
			if s != t && (s.node == nil || t.node == nil) && cfg.involves(s.Name, t.Name) {
				add(Result{Check: CheckPorts, Host: t.Name, From: s.Name, Item: "ports", Status: Error, State: Unavailable,
					Detail: "not tested: a host of the pair is unreachable over SSH"})
			}
		}
	}
	up := upTargets(all)
	_ = fanout.Each(ctx, namesOf(up), func(ctx context.Context, i int) error {
		add(probeFrom(ctx, cfg, up[i], up, lis, tokenID)...)
		return nil
	})
	return out
}

type planned struct {
	to   *target
	port port
	l    listener
}

func probeFrom(ctx context.Context, cfg *config, s *target, ts []*target, lis map[string]map[port]listener, tokenID string) []Result {
	var plans []planned
	var out []Result
	req := probe.Request{TimeoutMS: int(cfg.wait / time.Millisecond), Tries: 2, TokenID: tokenID}
	for _, t := range ts {
		if t == s || !cfg.involves(s.Name, t.Name) {
			continue
		}
		for _, p := range ports {
			if p.manager && !t.IsManager() {
				continue
			}
			l := lis[t.Name][p]
			r := Result{Check: CheckPorts, Host: t.Name, From: s.Name, Item: p.String()}
			switch {
			case !l.up && l.inUse && p.proto == "udp":
				r.Status, r.State, r.Detail = OK, InUse, "held by the running engine: counts as answering (UDP cannot be tested while it holds it)"
				out = append(out, r)
				continue
			case !l.up && !l.inUse:
				r.Status, r.State, r.Detail = Error, Unavailable, "no listener: "+l.why
				out = append(out, r)
				continue
			}
			plans = append(plans, planned{to: t, port: p, l: l})
			// Doctor's own listener answers only this run's proven requests;
			// a port the engine holds gets nothing but the handshake.
			req.Targets = append(req.Targets, probe.Target{ID: strconv.Itoa(len(plans) - 1), Kind: p.proto, Address: t.Address, Port: p.num, Probe: l.up, Auth: l.up})
		}
	}
	if len(plans) == 0 {
		return out
	}
	body, _ := json.Marshal(req)
	raw, err := s.node.RunInput(ctx, shellquote.Quote(s.dir+"/overlab")+" probe run --token-dir "+shellquote.Quote(s.dir+"/tokens"), strings.NewReader(string(body)))
	var rep probe.Report
	if err == nil {
		err = json.Unmarshal(raw, &rep)
	}
	got := map[string]probe.Result{}
	for _, r := range rep.Results {
		got[r.ID] = r
	}
	for i, pl := range plans {
		r := Result{Check: CheckPorts, Host: pl.to.Name, From: s.Name, Item: pl.port.String()}
		pr, ok := got[strconv.Itoa(i)]
		switch {
		case err != nil:
			r.Status, r.State, r.Detail = Error, Unavailable, "probe run on "+s.Name+": "+err.Error()
		case !ok:
			r.Status, r.State, r.Detail = Error, Unavailable, "no result from the probe"
		default:
			classifyPort(&r, pl, pr)
		}
		out = append(out, r)
	}
	return out
}

func classifyPort(r *Result, pl planned, pr probe.Result) {
	p := pl.port
	open := fmt.Sprintf("open %s %d between the lab hosts (firewall or cloud security group)", strings.ToUpper(p.proto), p.num)
	e := strings.ToLower(pr.Error)
	switch {
	case pr.Reachable && pl.l.inUse:
		r.Status, r.State, r.Detail = OK, Reachable, "answered (held by the running engine)"
	case pr.Reachable:
		r.Status, r.State, r.Detail = OK, Reachable, fmt.Sprintf("answered in %.1f ms", pr.RTTMS)
	case strings.Contains(e, "refused"):
		r.Status, r.State, r.Detail = Problem, Refused, pr.Error
		r.Fix = fmt.Sprintf("a firewall on %s rejects %s (%s): %s", pl.to.Name, p, p.what, open)
	case strings.Contains(e, "no route") || strings.Contains(e, "unreachable"):
		r.Status, r.State, r.Detail = Problem, NoRoute, pr.Error
		r.Fix = fmt.Sprintf("%s's lab address does not answer at all: check its lab link (ip link) and route", pl.to.Name)
	default:
		r.Status, r.State, r.Detail = Problem, Filtered, pr.Error
		r.Fix = open
	}
}
