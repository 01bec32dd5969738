package blueprinttest

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
)

// Disagreements inspects every network that a `docker network create`
// line of steps makes, on that line's host, and lists what the engine has
// that the line does not say; it returns how many lines it compared.
func Disagreements(t testing.TB, c *cluster.Cluster, steps []blueprint.Step) (int, []string) {
	t.Helper()
	var out []string
	n := 0
	for _, st := range steps {
		for _, cmd := range st.Commands {
			if !strings.HasPrefix(cmd.Line, "docker network create ") {
				continue
			}
			n++
			args := ShellWords(t, cmd.Line)[3:]
			name := args[len(args)-1]
			nw, err := c.Node(cmd.Host).Docker().NetworkInspect(context.Background(), name, network.InspectOptions{})
			if err != nil {
				out = append(out, fmt.Sprintf("%s$ %s: not created: %v", cmd.Host, cmd.Line, err))
				continue
			}
			for _, d := range Differences(args[:len(args)-1], nw) {
				out = append(out, fmt.Sprintf("%s$ %s\n  the engine has: %s", cmd.Host, cmd.Line, d))
			}
		}
	}
	return n, out
}

// ShellWords splits a printed line as sh does.
func ShellWords(t testing.TB, line string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "printf '%s\\0' "+line).Output()
	if err != nil {
		t.Fatalf("sh cannot read %s: %v", line, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// Differences lists what the engine has that the flags of a docker network
// create do not say.
func Differences(flags []string, nw network.Inspect) []string {
	want, opts := parseFlags(flags)
	var out []string
	check := func(what, w, g string) {
		if w != g {
			out = append(out, fmt.Sprintf("%s %q (the command says %q)", what, g, w))
		}
	}
	check("driver", want["driver"], nw.Driver)
	check("scope", want["scope"], nw.Scope)
	check("attachable", want["--attachable"], boolText(nw.Attachable))
	check("internal", want["--internal"], boolText(nw.Internal))
	check("config-from", want["-config-from"], nw.ConfigFrom.Network)
	if want["-config-from"] != "" {
		return out // addresses and options are the config network's, compared on its own line
	}
	check("ipv6", want["--ipv6"], boolText(nw.EnableIPv6))
	if want["--ipv4"] == "false" {
		check("ipv4", "false", fmt.Sprint(nw.EnableIPv4))
	}
	out = append(out, subnetDifferences(subnetsOf(flags), nw.IPAM.Config)...)
	for k, v := range opts {
		check("option "+k, v, nw.Options[k])
	}
	return out
}

// subnetFlags are one --subnet of a create line with the --gateway and
// --ip-range that follow it.
type subnetFlags struct{ subnet, gateway, ipRange string }

func subnetsOf(flags []string) []subnetFlags {
	var out []subnetFlags
	for i := 0; i+1 < len(flags); i++ {
		switch flags[i] {
		case "--subnet":
			out = append(out, subnetFlags{subnet: flags[i+1]})
		case "--gateway":
			if len(out) > 0 {
				out[len(out)-1].gateway = flags[i+1]
			}
		case "--ip-range":
			if len(out) > 0 {
				out[len(out)-1].ipRange = flags[i+1]
			}
		}
	}
	return out
}

// subnetDifferences compares each --subnet (IPv4 and IPv6 alike) with the
// engine's IPAM config of that subnet.
func subnetDifferences(want []subnetFlags, have []network.IPAMConfig) []string {
	var out []string
	if len(want) != len(have) {
		var got []string
		for _, ic := range have {
			got = append(got, ic.Subnet)
		}
		out = append(out, fmt.Sprintf("subnets %v (the command gives %d)", got, len(want)))
	}
	for _, w := range want {
		found := false
		for _, ic := range have {
			if ic.Subnet != w.subnet {
				continue
			}
			found = true
			if w.gateway != "" && ic.Gateway != w.gateway {
				out = append(out, fmt.Sprintf("gateway %q of %s (the command says %q)", ic.Gateway, w.subnet, w.gateway))
			}
			if ic.IPRange != w.ipRange {
				out = append(out, fmt.Sprintf("ip-range %q of %s (the command says %q)", ic.IPRange, w.subnet, w.ipRange))
			}
		}
		if !found {
			out = append(out, "no subnet "+w.subnet+" (the command says it)")
		}
	}
	return out
}

// parseFlags reads what a create line says, with the CLI's defaults.
func parseFlags(flags []string) (map[string]string, map[string]string) {
	want := map[string]string{"driver": "bridge", "scope": "local"}
	opts := map[string]string{}
	for i := 0; i < len(flags); i++ {
		switch f := flags[i]; {
		case f == "--config-only" || f == "--attachable" || f == "--internal" || f == "--ipv6":
			want[f] = "true"
		case strings.Contains(f, "="): // --ipv4=false
			k, v, _ := strings.Cut(f, "=")
			want[k] = v
		case f == "-o":
			k, v, _ := strings.Cut(flags[i+1], "=")
			opts[k] = v
			i++
		default:
			want[strings.TrimPrefix(f, "-")] = flags[i+1]
			i++
		}
	}
	if want["d"] != "" {
		want["driver"] = want["d"]
	}
	if want["--config-only"] == "true" {
		want["driver"] = "null"
	}
	switch {
	case want["-scope"] != "":
		want["scope"] = want["-scope"]
	case want["driver"] == "overlay":
		want["scope"] = "swarm"
	}
	return want, opts
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return ""
}
