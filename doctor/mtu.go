package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/shellquote"
)

// vxlanOverhead is what VXLAN adds to every overlay packet.
const vxlanOverhead = 50

// echoPort is a UDP port with doctor's own listener on t, or 0.
func echoPort(lis map[port]listener) int {
	if l := lis[mtuPort]; l.up {
		n, _ := strconv.Atoi(l.why)
		return n
	}
	for _, p := range ports {
		if p.proto == "udp" && lis[p].up {
			return p.num
		}
	}
	return 0
}

// pathMTUs measures each ordered pair's path MTU and compares it with the
// source's lab interface MTU: a smaller path drops the larger packets,
// VXLAN's first (an overlay packet is 50 bytes larger on the wire).
func pathMTUs(ctx context.Context, cfg *config, ts []*target, lis map[string]map[port]listener, tokenID string) []Result {
	var (
		mu  sync.Mutex
		out []Result
	)
	_ = fanout.Each(ctx, namesOf(ts), func(ctx context.Context, i int) error {
		s := ts[i]
		res := pmtuFrom(ctx, cfg, s, ts, lis, tokenID)
		mu.Lock()
		out = append(out, res...)
		mu.Unlock()
		return nil
	})
	return out
}

func pmtuFrom(ctx context.Context, cfg *config, s *target, ts []*target, lis map[string]map[port]listener, tokenID string) []Result {
	if s.facts == nil || s.facts.UnderlayMTU == 0 {
		return nil
	}
	max := s.facts.UnderlayMTU
	var b strings.Builder
	var out []Result
	for _, t := range ts {
		if t == s || !cfg.involves(s.Name, t.Name) {
			continue
		}
		p := echoPort(lis[t.Name])
		if p == 0 {
			out = append(out, Result{Check: CheckMTU, Host: t.Name, From: s.Name, Item: "path MTU", Status: Error,
				Detail: "not measured: no doctor UDP listener on " + t.Name + " (its ports are held)"})
			continue
		}
		fmt.Fprintf(&b, "( echo %s $(%s/overlab probe pmtu --address %s --max %d --wait 200ms --token-dir %s --token-id %s) ) &\n",
			shellquote.Quote(t.Name), shellquote.Quote(s.dir), shellquote.Quote(net.JoinHostPort(t.Address, strconv.Itoa(p))), max, shellquote.Quote(s.dir+"/tokens"), shellquote.Quote(tokenID))
	}
	if b.Len() == 0 {
		return out
	}
	b.WriteString("wait\n")
	raw, err := s.node.Run(ctx, b.String())
	mtu := map[string]int{}
	why := map[string]string{}
	for _, l := range strings.Split(string(raw), "\n") {
		name, js, ok := strings.Cut(l, " ")
		var v struct {
			MTU   int    `json:"mtu"`
			Error string `json:"error"`
		}
		if ok && json.Unmarshal([]byte(js), &v) == nil {
			mtu[name], why[name] = v.MTU, v.Error
		}
	}
	for _, t := range ts {
		if t == s || !cfg.involves(s.Name, t.Name) || echoPort(lis[t.Name]) == 0 {
			continue
		}
		out = append(out, mtuResult(s, t, max, mtu[t.Name], why[t.Name], err))
	}
	return out
}

func mtuResult(s, t *target, srcMTU, pm int, why string, err error) Result {
	r := Result{Check: CheckMTU, Host: t.Name, From: s.Name, Item: "path MTU", Status: OK}
	dstMTU := 0
	if t.facts != nil {
		dstMTU = t.facts.UnderlayMTU
	}
	switch {
	case err != nil:
		r.Status, r.Detail = Error, err.Error()
	case pm == 0:
		r.Status, r.Detail = Problem, "no don't-fragment packet got through: "+why
		r.Fix = fmt.Sprintf("%s's UDP echo does not answer %s: see the port checks", t.Name, s.Name)
	case pm < srcMTU:
		r.Status = Problem
		r.Detail = fmt.Sprintf("%d bytes from %s (lab MTU %d) to %s (lab MTU %d)", pm, s.Name, srcMTU, t.Name, dstMTU)
		r.Fix = fmt.Sprintf("packets of %d-%d bytes from %s to %s are dropped (VXLAN adds %d to each overlay packet): give both lab interfaces the same MTU, or set the overlays' com.docker.network.driver.mtu to %d or less",
			pm+1, srcMTU, s.Name, t.Name, vxlanOverhead, pm-vxlanOverhead)
	default:
		r.Detail = fmt.Sprintf("%d bytes (%s lab MTU %d, %s lab MTU %d; overlays carry up to %d)", pm, s.Name, srcMTU, t.Name, dstMTU, pm-vxlanOverhead)
	}
	return r
}
