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
	if len(nw.IPAM.Config) > 0 {
		ic := nw.IPAM.Config[0]
		check("subnet", want["-subnet"], ic.Subnet)
		if want["-gateway"] != "" {
			check("gateway", want["-gateway"], ic.Gateway)
		}
		check("ip-range", want["-ip-range"], ic.IPRange)
	} else if want["-subnet"] != "" {
		out = append(out, "no subnet (the command says "+want["-subnet"]+")")
	}
	for k, v := range opts {
		check("option "+k, v, nw.Options[k])
	}
	return out
}

// parseFlags reads what a create line says, with the CLI's defaults.
func parseFlags(flags []string) (map[string]string, map[string]string) {
	want := map[string]string{"driver": "bridge", "scope": "local"}
	opts := map[string]string{}
	for i := 0; i < len(flags); i++ {
		switch f := flags[i]; f {
		case "--config-only", "--attachable", "--internal":
			want[f] = "true"
		case "-o":
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
