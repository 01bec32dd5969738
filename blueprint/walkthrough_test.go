package blueprint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/lab"
)

// Any lab that loads compiles on the example hosts or fails cleanly, and
// its walkthrough is made without a panic.
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
			_ = bp.Walkthrough()
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

// Every value of a lab that reaches a printed command is quoted, whatever it
// holds: the lab is decoded without validation (which refuses all of these),
// each line of the walkthrough is split into words by sh without running it
// (`set --`), and no value runs or splits (issue 22: "-o parent=a;id>pw1"
// printed as it was would have run id in a student's root shell).
func TestWalkthroughQuotesEveryValue(t *testing.T) {
	dir := t.TempDir()
	hostile := map[string]string{
		"parent": "a;touch pwned-parent",
		"image":  "img$(touch pwned-image)",
		"name":   "x`touch pwned-name`",
		"alias":  "al;touch pwned-alias",
		"arg":    "'; touch pwned-arg; '",
	}
	doc := `name: q
networks:
  - {name: mv, driver: macvlan, subnet: 10.9.0.0/24, parent: "` + hostile["parent"] + `"}
  - {name: mv2, driver: macvlan, subnet: 10.8.0.0/24}
workloads:
  - name: w
    image: "` + hostile["image"] + `"
    command: ["sh", "-c", "` + hostile["arg"] + `"]
    networks: [{network: mv, aliases: ["` + hostile["alias"] + `"]}, mv2]
expect:
  - from: {workload: w}
    to: {name: "` + hostile["name"] + `"}
    network: mv
    kinds: [icmp, tcp, udp, dns, http]
    reachable: true
`
	l, err := lab.Decode([]byte(doc), "hostile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hosts := ExampleHosts()
	hosts[1].Parent = "p$(touch pwned-facts)"
	bp, err := Compile(l, hosts)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, s := range bp.Walkthrough() {
		for _, c := range s.Commands {
			lines = append(lines, c.Line)
		}
	}
	for _, c := range bp.Checks {
		lines = append(lines, bp.Reproduce(c, "10.9.0.5;touch pwned-addr").Line)
	}
	words := map[string]bool{}
	for _, line := range lines {
		cmd := exec.Command("sh", "-c", "set -- "+line+`; for a in "$@"; do printf '%s\0' "$a"; done`)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("sh cannot split %q: %v", line, err)
			continue
		}
		for _, w := range strings.Split(string(out), "\x00") {
			words[w] = true
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("a printed command ran something: %v\n%s", entries, strings.Join(lines, "\n"))
	}
	for what, v := range map[string]string{"parent": "parent=" + hostile["parent"], "image": hostile["image"], "alias": hostile["alias"], "arg": hostile["arg"], "name": hostile["name"], "host's parent": "parent=p$(touch pwned-facts)"} {
		if !words[v] {
			t.Errorf("the %s %q is not one word of any command", what, v)
		}
	}
}
