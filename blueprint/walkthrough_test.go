package blueprint

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/lab"
)

func TestWalkthroughGolden(t *testing.T) {
	for _, l := range lab.List() {
		t.Run(l.Name, func(t *testing.T) {
			bp, err := Compile(l, ExampleHosts())
			if err != nil {
				t.Fatal(err)
			}
			if err := bp.Plan.Err(); err != nil {
				t.Fatalf("built-in lab has address conflicts on the example hosts: %v", err)
			}
			steps := bp.Walkthrough()
			var b bytes.Buffer
			if err := WriteSteps(&b, steps); err != nil {
				t.Fatal(err)
			}
			// Every expectation is reproducible by hand.
			rows := map[int]bool{}
			for _, s := range steps {
				if s.Row > 0 {
					rows[s.Row] = true
				}
			}
			if len(rows) != len(l.Expect) {
				t.Errorf("%d of %d expectations have commands", len(rows), len(l.Expect))
			}
			if strings.Contains(b.String(), "<nil>") || strings.Contains(b.String(), "%!") {
				t.Errorf("formatting error in output:\n%s", b.String())
			}
			golden.Assert(t, filepath.Join("commands", l.Name+".golden"), b.Bytes())
		})
	}
}

func TestWalkthroughSwarmMacvlan(t *testing.T) {
	l, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	hosts := ExampleHosts()
	hosts[1].Parent = "enp0s8"
	bp, err := Compile(l, hosts)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_ = WriteSteps(&b, bp.Walkthrough())
	out := b.String()
	for _, want := range []string{
		"node1$ docker network create --config-only --subnet 192.168.56.0/24 --ip-range 192.168.56.128/28 -o macvlan_mode=bridge -o parent=eth0 overlab-macvlan-config",
		"node2$ docker network create --config-only --subnet 192.168.56.0/24 --ip-range 192.168.56.144/28 -o macvlan_mode=bridge -o parent=enp0s8 overlab-macvlan-config",
		"node1$ docker network create -d macvlan --scope swarm --attachable --config-from overlab-macvlan-config overlab-macvlan",
		"node1$ docker service create --name overlab-probe --mode global --endpoint-mode dnsrr --network overlab-overlay --network overlab-macvlan --hostname '{{.Service.Name}}-{{.Node.Hostname}}' --no-resolve-image overlab-probe:latest",
		"node1$ docker exec $(docker ps -q -f label=com.docker.swarm.service.name=overlab-probe) ping -c 3 -W 1 192.168.56.11   # expect: unreachable",
		"node1$ docker swarm init --advertise-addr 192.168.56.11",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "SWMTKN") {
		t.Error("a token in the output")
	}
}

// Any lab that loads compiles on the example hosts or fails cleanly, and
// its walkthrough renders without a panic.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("../lab/builtin/*.yaml")
	fixtures, _ := filepath.Glob("../lab/testdata/valid-*.yaml")
	for _, p := range append(files, fixtures...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := lab.Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		if bp, err := Compile(l, ExampleHosts()); err == nil {
			_ = WriteSteps(io.Discard, bp.Walkthrough())
		}
	})
}

// Whatever a lab names, a printed probe line runs exactly that probe: the
// shell hands each program every value as one argument. The programs are
// stand-ins that print their arguments.
func TestProbeLinesQuoteEveryValue(t *testing.T) {
	l, err := lab.Get("bridge")
	if err != nil {
		t.Fatal(err)
	}
	bp, err := Compile(l, ExampleHosts())
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, prog := range []string{"nslookup", "ping", "nc"} {
		if err := os.WriteFile(filepath.Join(bin, prog), []byte("#!/bin/sh\nprintf '%s|' \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := &renderer{bp: bp, l: l}
	for _, tc := range []struct {
		c    lab.Check
		want string
	}{
		{lab.Check{Kind: lab.ProbeDNS, TargetType: lab.TargetName, Target: "x;id>pw1"}, "x;id>pw1|"},
		{lab.Check{Kind: lab.ProbeICMP, TargetType: lab.TargetName, Target: "$(touch pwned)"}, "-c|3|-W|1|$(touch pwned)|"},
		{lab.Check{Kind: lab.ProbeTCP, TargetType: lab.TargetName, Target: "a'b; id"}, "-w|2|a'b; id|7000|"},
	} {
		line := r.probeLine(tc.c)
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir, cmd.Env = t.TempDir(), []string{"PATH=" + bin + ":/usr/bin:/bin"}
		out, err := cmd.Output()
		if err != nil || string(out) != tc.want {
			t.Errorf("%s\n ran as %q (%v), want %q", line, out, err, tc.want)
		}
		if _, err := os.Stat(filepath.Join(cmd.Dir, "pwned")); err == nil {
			t.Errorf("%s ran a command substitution", line)
		}
	}
}
