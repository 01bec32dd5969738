package blueprint

import (
	"os"
	"os/exec"
	"path/filepath"
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
