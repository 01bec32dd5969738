//go:build linux

package cmd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/internal/clitest"
	"github.com/overlab/overlab/internal/syncbuf"
	"github.com/overlab/overlab/local/labtest"
)

// TestFaultLabAsATeacherRunsIt is the "done when", through the
// built CLI on 3 real hosts: `overlab lab run vxlan-blocked` passes (its
// expected failures are passes, its diagnosis matches), then `overlab report
// --format html` holds the broken overlay at node3, the picture of the VXLAN
// path with the tunnels to node3 broken, and "node3 cannot receive VXLAN
// (4789/udp)"; the explain of the overlay as SVG and as DOT (read by
// graphviz) has every host's vxlan device. Then a lab run interrupted with
// Ctrl-C while its fault is on heals it anyway and takes the lab down.
func TestFaultLabAsATeacherRunsIt(t *testing.T) {
	l := labtest.Up(t, 3)
	bin := clitest.Binary(t)
	results := t.TempDir()
	ov := func(args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "-i", l.Inventory)...)
		cmd.Env = append(os.Environ(), "OVERLAB_RESULTS="+results)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := ov("lab", "run", "vxlan-blocked", "--probe-binary", bin); code != 0 {
		t.Fatalf("lab run vxlan-blocked: exit %d\n%s", code, out)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if code, out := ov("report", "--format", "html", "-o", page); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for what, re := range map[string]string{
		"the broken overlay at node3":              `data-edge="node3>net-overlab-vxb-overlay" data-kind="link" data-state="fail"`,
		"the diagnosis beside it":                  `node3 cannot receive VXLAN \(4789/udp\)`,
		"the VXLAN path's tunnel node1–node3":      `data-edge="node1/underlay/eth0>node3/underlay/eth0" data-kind="tunnel" data-state="fail"`,
		"the VXLAN path's tunnel node2–node3":      `data-edge="node2/underlay/eth0>node3/underlay/eth0" data-kind="tunnel" data-state="fail"`,
		"the VXLAN path's tunnel node1–node2 (ok)": `data-edge="node1/underlay/eth0>node2/underlay/eth0" data-kind="tunnel" data-state="ok"`,
		"node3's vxlan device":                     `data-node="node3/vxlan/vxlan0"`,
		"the fault, healed":                        `data-fault-kind="fault" data-ok="true"`,
	} {
		if !regexp.MustCompile(re).Match(html) {
			t.Errorf("the report lacks %s (%s)", what, re)
		}
	}
	// The lab is down: explain the swarm lab's overlay instead, as pictures.
	if code, out := ov("up", "--probe-binary", bin); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	t.Cleanup(func() { ov("down") })
	for _, format := range []string{"svg", "dot"} {
		file := filepath.Join(t.TempDir(), "ov."+format)
		if code, out := ov("explain", "overlab-overlay", "--format", format, "-o", file); code != 0 {
			t.Fatalf("explain --format %s: exit %d\n%s", format, code, out)
		}
		pic, _ := os.ReadFile(file)
		for i := 1; i <= 3; i++ {
			if !strings.Contains(string(pic), "node"+string(rune('0'+i))+"/vxlan/vxlan0") {
				t.Errorf("explain --format %s has no vxlan device on node%d", format, i)
			}
		}
		if format == "dot" {
			dot := exec.Command("dot", "-Tsvg")
			dot.Stdin = bytes.NewReader(pic)
			if out, err := dot.CombinedOutput(); err != nil {
				t.Errorf("dot -Tsvg: %v\n%s", err, out)
			}
		}
	}
	if code, out := ov("down"); code != 0 {
		t.Fatalf("down: exit %d\n%s", code, out)
	}
	interruptedFaultLab(t, l, bin, results)
}

// interruptedFaultLab: Ctrl-C during gossip-blocked's 20-second wait ends
// the run (exit 2), heals the fault and takes the lab down.
func interruptedFaultLab(t *testing.T, l *labtest.Lab, bin, results string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "lab", "run", "gossip-blocked", "--probe-binary", bin, "-i", l.Inventory)
	cmd.Env = append(os.Environ(), "OVERLAB_RESULTS="+results)
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	for !strings.Contains(out.String(), "✓ faults node3") { // made: the 20 s wait begins
		select {
		case <-done:
			t.Fatalf("the run ended before it waited for its faults:\n%s", out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-done
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(out.String(), "interrupted") {
		t.Errorf("interrupted lab run: exit %d, want 2 and \"interrupted\"\n%s", code, out.String())
	}
	for i := 1; i <= 3; i++ {
		got := l.MustRun(t, i, "iptables -S | grep -c "+fault.Chain+" || true; nft list tables 2>/dev/null | grep -c overlab || true; ls "+fault.RecordPath+" 2>/dev/null | wc -l; docker network ls -q --filter name=overlab-gsp | wc -l")
		if strings.Join(strings.Fields(got), " ") != "0 0 0 0" {
			t.Errorf("node%d after the interrupted run: %q (chain rules, nft tables, records, lab networks), want none", i, got)
		}
	}
}
