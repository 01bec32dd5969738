//go:build linux

package blueprint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/session"
	"github.com/overlab/overlab/session/sessiontest"
)

// agreementLabs have every option a network can take between them,
// per-host ones keyed $N among them, on the test lab's underlay. Two labs:
// Docker allows one macvlan network per parent interface on a host.
func agreementLabs(underlay string, rangeOf func(i int) string) []string {
	swarmLab := fmt.Sprintf(`name: agreement
networks:
  - {name: agr-overlay, driver: overlay, attachable: true, internal: true, subnet: 10.61.0.0/24, gateway: 10.61.0.1, ip_range: 10.61.0.128/25}
  - {name: agr-bridge, driver: bridge, subnet: 10.62.0.0/24, gateway: 10.62.0.254, ip_range: 10.62.0.0/25}
  - name: agr-mv-swarm
    driver: macvlan
    scope: swarm
    attachable: true
    subnet: %[1]s
    hosts:
      $1: {ip_range: %[2]s, parent: eth0}
      $2: {ip_range: %[3]s}
      $3: {ip_range: %[4]s}
workloads:
  - {name: agr-svc, kind: service, networks: [agr-overlay, agr-mv-swarm]}
  - {name: agr-c, networks: [agr-bridge]}
expect:
  - {from: {workload: agr-svc}, to: {workload: agr-svc}, network: agr-overlay, kinds: [icmp], reachable: true}
`, underlay, rangeOf(0), rangeOf(1), rangeOf(2))
	localLab := `name: agreement-local
networks:
  - name: agr-mv-local
    driver: macvlan
    subnet: 10.63.0.0/24
    hosts:
      $2: {ip_range: 10.63.0.64/27}
workloads:
  - {name: agr-c, networks: [agr-mv-local]}
expect:
  - {from: {workload: agr-c}, to: {workload: agr-c}, kinds: [icmp], reachable: true}
`
	return []string{swarmLab, localLab}
}

// TestPrintedCommandsAreWhatUpCreates: lab show --commands and up on
// three real hosts; every network the commands create is inspected on its
// host and must have exactly the driver, scope, flags, addresses and
// options the printed command gives it.
func TestPrintedCommandsAreWhatUpCreates(t *testing.T) {
	l := labtest.Up(t, 3)
	s := sessiontest.Open(t, l)
	bin := cliBinary(t)
	under := l.Subnet.Masked()
	base := under.Addr().As4()
	rangeOf := func(i int) string { return fmt.Sprintf("%d.%d.%d.%d/29", base[0], base[1], base[2], 200+8*i) }
	compared := 0
	for i, text := range agreementLabs(under.String(), rangeOf) {
		file := filepath.Join(t.TempDir(), fmt.Sprintf("agreement-%d.yaml", i))
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		compared += agree(t, s, bin, l, file)
	}
	if compared != 8+3 {
		t.Errorf("%d create commands compared, want the 11 of the labs", compared)
	}
}

// agree brings up the lab file and compares every network its printed
// commands create with what the engines have; it returns how many.
func agree(t *testing.T, s *session.Session, bin string, l *labtest.Lab, file string) int {
	t.Helper()
	var shown struct{ Steps []blueprint.Step }
	code, out, errOut := run(t, bin, "lab", "show", file, "--commands", "--format", "json", "-i", l.Inventory)
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil {
		t.Fatalf("lab show --commands: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := run(t, bin, "up", "--lab", file, "-i", l.Inventory, "--probe-binary", labtest.ProbeBinary(t)); code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errOut)
	}
	defer run(t, bin, "down", "--lab", file, "-i", l.Inventory)
	compared := 0
	for _, st := range shown.Steps {
		for _, c := range st.Commands {
			if !strings.HasPrefix(c.Line, "docker network create ") {
				continue
			}
			compared++
			args := shellWords(t, c.Line)[3:]
			name := args[len(args)-1]
			nw, err := s.Cluster.Node(c.Host).Docker().NetworkInspect(context.Background(), name, network.InspectOptions{})
			if err != nil {
				t.Errorf("%s$ %s: not created: %v", c.Host, c.Line, err)
				continue
			}
			for _, d := range differences(args[:len(args)-1], nw) {
				t.Errorf("%s$ %s\n  the engine has: %s", c.Host, c.Line, d)
			}
		}
	}
	return compared
}

// differences lists what the engine has that the flags do not say.
func differences(flags []string, nw network.Inspect) []string {
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
	if want["-scope"] != "" {
		want["scope"] = want["-scope"]
	} else if want["driver"] == "overlay" {
		want["scope"] = "swarm"
	}
	got := map[string]string{"driver": nw.Driver, "scope": nw.Scope}
	var out []string
	check := func(what, w, g string) {
		if w != g {
			out = append(out, fmt.Sprintf("%s %q (the command says %q)", what, g, w))
		}
	}
	check("driver", want["driver"], got["driver"])
	check("scope", want["scope"], got["scope"])
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

func boolText(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// shellWords splits a printed line as sh does.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", "printf '%s\\0' "+line).Output()
	if err != nil {
		t.Fatalf("sh cannot read %s: %v", line, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func cliBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "overlab")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "../cmd/overlab")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build overlab: %v\n%s", err, out)
	}
	return bin
}

func run(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "TERM=dumb")
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("overlab %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}
