package doctor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/hostcmd"
	"github.com/overlab/overlab/results"
)

// factResults: the lab address, the engine and the kernel features.
func factResults(cfg *config, t *target, err error) []Result {
	if !cfg.involves(t.Name) {
		return nil
	}
	var out []Result
	f := t.facts
	var addrErr *cluster.AddressNotOnHostError
	if cfg.wants(CheckLabAddr) {
		switch {
		case errors.As(err, &addrErr):
			out = append(out, Result{Check: CheckLabAddr, Host: t.Name, Item: "lab address " + t.Address, Status: Problem,
				Detail: "on none of its interfaces (" + strings.Join(addrErr.Found, ", ") + ")",
				Fix:    "set address to the host's own address on the lab network; put a NAT or other SSH address in ssh_host"})
		case f != nil && f.UnderlayIface != "":
			out = append(out, Result{Check: CheckLabAddr, Host: t.Name, Item: "lab address " + t.Address, Status: OK,
				Detail: fmt.Sprintf("on %s (%s, MTU %d)", f.UnderlayIface, f.UnderlaySubnet, f.UnderlayMTU)})
		default:
			out = append(out, Result{Check: CheckLabAddr, Host: t.Name, Item: "lab address " + t.Address, Status: Error, Detail: errString(err)})
		}
	}
	if cfg.wants(CheckEngine) {
		if f != nil && f.EngineVersion != "" {
			out = append(out, Result{Check: CheckEngine, Host: t.Name, Item: "engine", Status: OK,
				Detail: fmt.Sprintf("%s %s, API %s", f.EngineName, f.EngineVersion, f.APIVersion)})
		} else {
			out = append(out, Result{Check: CheckEngine, Host: t.Name, Item: "engine", Status: Problem, Detail: errString(err),
				Fix: "start dockerd and let the SSH user reach its socket (docker group or root)"})
		}
	}
	if cfg.wants(CheckFeatures) && f != nil && f.Kernel != "" {
		out = append(out, featureResults(t.Name, f.Features)...)
	}
	return out
}

// featureResults: the labs need VXLAN and macvlan; the other features
// only limit what a lab may ask.
func featureResults(host string, fs cluster.Features) []Result {
	var out []Result
	for _, f := range feature.All {
		res := Result{Check: CheckFeatures, Host: host, Item: string(f.Name), Status: OK, Detail: fs.Detail[f.Name]}
		if !fs.Has(f.Name) {
			res.Status, res.Fix = Warning, f.Without+" (modprobe "+f.Module+")"
			if f.Name == feature.VXLAN || f.Name == feature.Macvlan {
				res.Status = Problem
			}
		}
		out = append(out, res)
	}
	return out
}

// hostChecks: clock skew against the first manager and the FORWARD policy,
// in one round trip per host.
func hostChecks(ctx context.Context, cfg *config, ts []*target) []Result {
	if !cfg.wants(CheckClock) && !cfg.wants(CheckForward) && !cfg.wants(CheckFirewall) {
		return nil
	}
	type sample struct {
		offset  time.Duration
		rtt     time.Duration
		forward string
		err     error
	}
	got := make([]sample, len(ts))
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	script := hostcmd.Root(`date +%s%N; iptables -w 5 -S FORWARD 2>&1 | head -1; iptables -w 5 -S DOCKER-USER >/dev/null 2>&1 && echo docker-chains; iptables -w 5 -S 2>/dev/null | grep -E -- '-j (DROP|REJECT)'`)
	_ = fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		t0 := time.Now()
		out, err := ts[i].node.Run(ctx, script)
		t1 := time.Now()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		ns, perr := strconv.ParseInt(strings.TrimSpace(lines[0]), 10, 64)
		if err == nil && perr != nil {
			err = fmt.Errorf("date +%%s%%N said %q", lines[0])
		}
		mid := t0.Add(t1.Sub(t0) / 2)
		got[i] = sample{offset: time.Unix(0, ns).Sub(mid), rtt: t1.Sub(t0), forward: strings.Join(lines[min(1, len(lines)):], "\n"), err: err}
		return nil
	})
	ref := -1
	for i, t := range ts {
		if t.IsManager() && got[i].err == nil {
			ref = i
			break
		}
	}
	var out []Result
	for i, t := range ts {
		if !cfg.involves(t.Name) {
			continue
		}
		s := got[i]
		if cfg.wants(CheckClock) {
			out = append(out, clockResult(cfg, t.Name, s.offset, s.rtt, s.err, ref, ts, got[max(ref, 0)].offset))
		}
		if cfg.wants(CheckForward) && s.err == nil {
			out = append(out, forwardResult(t.Name, s.forward))
		}
		if cfg.wants(CheckFirewall) && s.err == nil && t.facts != nil {
			out = append(out, firewallResults(t.Name, t.facts.UnderlayIface, s.forward)...)
		}
	}
	return out
}

func clockResult(cfg *config, host string, off, rtt time.Duration, err error, ref int, ts []*target, refOff time.Duration) Result {
	res := Result{Check: CheckClock, Host: host, Item: "clock skew", Status: OK}
	switch {
	case err != nil:
		res.Status, res.Detail = Error, err.Error()
		return res
	case ref < 0:
		res.Status, res.Detail = Warning, "no manager answered: nothing to compare with"
		return res
	}
	skew := (off - refOff).Round(time.Millisecond)
	res.Detail = fmt.Sprintf("%v against %s (±%v)", skew, ts[ref].Name, (rtt / 2).Round(time.Millisecond))
	// Only what exceeds the measurement's own uncertainty counts.
	abs := max(skew, -skew) - rtt/2
	switch {
	case abs > cfg.maxSkew:
		res.Status, res.Fix = Problem, "swarm TLS certificates break when clocks differ by more than a few seconds: run NTP (chrony, systemd-timesyncd) on every host"
	case abs > cfg.warnSkew:
		res.Status, res.Fix = Warning, "clocks drift apart: run NTP on every host"
	}
	return res
}

func forwardResult(host, out string) Result {
	res := Result{Check: CheckForward, Host: host, Item: "FORWARD policy", Status: OK}
	first, _, _ := strings.Cut(out, "\n")
	policy := strings.TrimPrefix(strings.TrimSpace(first), "-P FORWARD ")
	docker := strings.Contains(out, "docker-chains")
	switch {
	case !strings.HasPrefix(first, "-P FORWARD"):
		res.Status, res.Detail = Warning, "could not read it: "+strings.TrimSpace(first)
	case policy == "ACCEPT":
		res.Detail = "ACCEPT"
	case docker:
		res.Detail = policy + " (set by Docker; its own rules accept its networks' traffic)"
	default:
		res.Status, res.Detail = Problem, policy+" and no Docker rules"
		res.Fix = "containers' traffic is not forwarded: start dockerd (it adds the rules it needs) or accept forwarding for the lab (iptables -P FORWARD ACCEPT)"
	}
	return res
}

// addressSpace runs the lab's address plan against the hosts' facts.
func addressSpace(cfg *config, ts []*target) []Result {
	facts := map[string]*cluster.Facts{}
	for _, t := range ts {
		if t.facts != nil {
			facts[t.Name] = t.facts
		}
	}
	var out []Result
	for _, f := range cfg.plan(facts) {
		if f.Severity == results.SeverityInfo {
			continue
		}
		host := f.Host
		if host == "" {
			host = "lab"
		}
		st := Warning
		if f.Severity == results.SeverityError {
			st = Problem
		}
		out = append(out, Result{Check: CheckAddrPlan, Host: host, Item: "address space", Status: st, Detail: f.Message})
	}
	if len(out) == 0 {
		out = append(out, Result{Check: CheckAddrPlan, Host: "lab", Item: "address space", Status: OK, Detail: "the lab's subnets are free on every host"})
	}
	return out
}
