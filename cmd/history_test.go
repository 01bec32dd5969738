package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runs"
)

// historyExec runs the command tree as main does, with buffers.
func historyExec(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Execute(args, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

func storeFixture(t *testing.T, dir, name string) runs.Run {
	t.Helper()
	d, err := results.ReadFile(filepath.Join("..", "report", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runs.Store(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDiffCommandRegressed(t *testing.T) {
	dir := t.TempDir()
	pass := storeFixture(t, dir, "pass")
	mtu := storeFixture(t, dir, "mtu")

	out, errOut, code := historyExec(t, "diff", pass.ID, mtu.ID, "--results", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"Regressed (2)",
		"✗ overlab-overlay node1 → node2 tcp (10.20.0.4:7946): ok → failed: connected to 10.20.0.4:7946",
		"✗ overlab-overlay node2 → node1 tcp (10.20.0.3:7946): ok → failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "2 probe(s) regressed") {
		t.Errorf("stderr: %s", errOut)
	}

	// The other way round is a fix: exit 0. Runs named by directory this time.
	out, errOut, code = historyExec(t, "diff", mtu.Dir, pass.Dir)
	if code != 0 || !strings.Contains(out, "Fixed (2)") || strings.Contains(out, "Regressed") {
		t.Errorf("fix: exit %d\n%s\n%s", code, out, errOut)
	}

	// Same run: nothing changed.
	out, _, code = historyExec(t, "diff", pass.ID, pass.ID, "--results", dir)
	if code != 0 || !strings.Contains(out, "no probe changed") {
		t.Errorf("same run: exit %d\n%s", code, out)
	}

	// JSON names the regressed pairs too, and still exits 1.
	out, _, code = historyExec(t, "diff", pass.ID, mtu.ID, "--results", dir, "--format", "json")
	var res runs.DiffResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || len(res.Regressed) != 2 || res.Regressed[0].From != "node1" {
		t.Errorf("json: exit %d, %v\n%s", code, err, out)
	}

	_, errOut, code = historyExec(t, "diff", pass.ID, "nosuchrun", "--results", dir)
	if code != 2 || !strings.Contains(errOut, "nosuchrun") {
		t.Errorf("unknown run: exit %d: %s", code, errOut)
	}
}

func TestRunsCommand(t *testing.T) {
	dir := t.TempDir()
	out, _, code := historyExec(t, "runs", "--results", dir)
	if code != 0 || !strings.Contains(out, "no runs in "+dir) {
		t.Errorf("empty: %d %q", code, out)
	}
	a := storeFixture(t, dir, "pass")
	b := storeFixture(t, dir, "cut")
	t.Setenv(runs.EnvDir, dir)
	out, _, code = historyExec(t, "runs")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.HasPrefix(lines[0], "RUN ") || !strings.HasPrefix(lines[1], a.ID) || !strings.HasPrefix(lines[2], b.ID) {
		t.Errorf("table:\n%s", out)
	}
	if f := strings.Fields(lines[2]); strings.Join(f[3:], " ") != "demo 3 51 20 ✗ 31" {
		t.Errorf("row %q", lines[2])
	}
	out, _, _ = historyExec(t, "runs", "--format", "yaml")
	if !strings.Contains(out, "- id: "+a.ID) || !strings.Contains(out, "failed: 31") {
		t.Errorf("yaml:\n%s", out)
	}
	if _, errOut, code := historyExec(t, "runs", "--format", "xml"); code != 2 || !strings.Contains(errOut, "table, json, yaml") {
		t.Errorf("bad format: %d %s", code, errOut)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	storeFixture(t, dir, "pass")
	cut := storeFixture(t, dir, "cut")

	// Default: the latest run, as the terminal matrix, no colour into a buffer.
	out, _, code := historyExec(t, "report", "--results", dir)
	if code != 0 || !strings.Contains(out, "✗ 31 of 51 probes not as expected") || strings.Contains(out, "\x1b[") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	want, _ := os.ReadFile(filepath.Join("..", "report", "testdata", "cut.terminal.golden"))
	if out != string(want) {
		t.Error("report of a stored run differs from the renderer's golden output")
	}

	file := filepath.Join(t.TempDir(), "r.html")
	_, _, code = historyExec(t, "report", cut.ID, "--results", dir, "--format", "html", "-o", file)
	html, err := os.ReadFile(file)
	if code != 0 || err != nil || !bytes.Contains(html, []byte(`data-ok="false"`)) {
		t.Errorf("html: exit %d, %v", code, err)
	}
	out, _, code = historyExec(t, "report", cut.Dir, "--format", "junit")
	if code != 0 || !strings.Contains(out, `<testsuites name="overlab check demo" tests="51" failures="31"`) {
		t.Errorf("junit: exit %d\n%.300s", code, out)
	}
	if _, errOut, code := historyExec(t, "report", "--results", t.TempDir()); code != 2 || !strings.Contains(errOut, "no stored runs") {
		t.Errorf("empty history: exit %d %s", code, errOut)
	}
}

// A results file written by check --json (any name, anywhere) is a run too.
func TestReportAndDiffTakeAResultsFileOfAnyName(t *testing.T) {
	dir := t.TempDir()
	pass, mtu := storeFixture(t, dir, "pass"), storeFixture(t, dir, "mtu")
	loose := t.TempDir()
	copyFile := func(from, to string) string {
		data, err := os.ReadFile(filepath.Join(from, runs.ResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(loose, to)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good, bad := copyFile(pass.Dir, "mycheck.json"), copyFile(mtu.Dir, "after-mtu.json")
	out, errOut, code := historyExec(t, "report", good, "--format", "json", "--results", t.TempDir())
	if code != 0 || !strings.Contains(out, `"probes"`) {
		t.Fatalf("report mycheck.json: exit %d\n%s", code, errOut)
	}
	out, errOut, code = historyExec(t, "diff", good, bad, "--results", t.TempDir())
	if code != 1 || !strings.Contains(out, "mycheck → after-mtu") {
		t.Fatalf("diff of two loose files: exit %d, want 1 (regressed)\n%s%s", code, out, errOut)
	}
}
