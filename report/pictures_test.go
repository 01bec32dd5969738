package report

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/internal/testenv"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/report/graph"
	"github.com/overlab/overlab/results"
)

// writeAll renders g in every picture format as golden files NAME.FORMAT.
func writeAll(t *testing.T, name string, g *graph.Graph) {
	t.Helper()
	for _, f := range graph.Formats {
		var b bytes.Buffer
		if err := graph.Write(&b, g, f); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, filepath.Join("pictures", name+"."+f+".golden"), b.Bytes())
		if f == string(graph.DOT) {
			dotReads(t, name, b.Bytes())
		}
	}
}

// dotReads: Debian's graphviz reads the DOT without a warning.
func dotReads(t *testing.T, name string, dot []byte) {
	t.Helper()
	if _, err := exec.LookPath("dot"); err != nil {
		testenv.SkipOrFail(t, "graphviz's dot is missing: apt-get install -y graphviz")
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = bytes.NewReader(dot)
	out, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("Warning")) || !bytes.Contains(out, []byte("<svg")) {
		t.Errorf("%s: dot -Tsvg: %v\n%.400s", name, err, out)
	}
}

// TestTopologyPictures: the topology of each check document.
func TestTopologyPictures(t *testing.T) {
	for _, fx := range fixtures {
		writeAll(t, "topology-"+fx, TopologyGraph(loadFixture(t, fx)))
	}
}

// TestLabPictures: built-in labs on the example hosts, before anything runs.
func TestLabPictures(t *testing.T) {
	for _, name := range []string{"swarm", "publish", "user-bridge", "host", "none", "host-cut"} {
		l, err := lab.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		bp, err := blueprint.Compile(l, blueprint.ExampleHosts())
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, "lab-"+name, LabGraph(bp, true))
	}
}

// TestExplainPictures: the Linux views recorded in the fault-lab documents,
// coloured by their probes, and each view alone as `overlab explain` draws
// it (no probes: nothing coloured).
func TestExplainPictures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	n := 0
	for _, f := range files {
		d, err := results.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, v := range d.Explain {
			writeAll(t, "explain-"+name+"-"+v.Network, ExplainGraph(v, d))
			n++
		}
	}
	if n == 0 {
		t.Fatal("no fixture has a Linux view")
	}
	raw, err := os.ReadFile("testdata/views/bridge.json")
	if err != nil {
		t.Fatal(err)
	}
	var v explain.View
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	writeAll(t, "explain-bridge", ExplainGraph(v, nil))
}
