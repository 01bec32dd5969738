package graph

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
	"github.com/overlab/overlab/internal/testenv"
)

// pictures are the shapes the builders make: explain's per-host path with
// tunnels between hosts, a topology with a broken attachment and a failing
// pair, and an empty graph.
func pictures() map[string]*Graph {
	return map[string]*Graph{
		"path":     pathGraph(3),
		"topology": topologyGraph(),
		"empty":    {ID: "empty", Title: "nothing to draw"},
	}
}

// pathGraph is the overlay of `overlab explain` on n hosts.
func pathGraph(n int) *Graph {
	g := &Graph{ID: "ov", Title: "overlab-ov: overlay 10.200.0.0/24, VXLAN ID 4097"}
	g.Buses = []*Bus{{ID: "lab", Label: "lab network", Lines: []string{"192.168.56.0/24"}, Tooltip: "the underlay", State: Neutral}}
	for i := 1; i <= n; i++ {
		h := fmt.Sprintf("node%d", i)
		c := &Column{ID: h, Label: h, Lines: []string{fmt.Sprintf("192.168.56.%d", 10+i)}, Tooltip: "a Docker host"}
		c.Nodes = []*Node{
			{ID: h + "/c", Rank: 0, Kind: KindContainer, Label: "overlab-probe task 4f2a9c", Lines: []string{"eth0 10.200.0.1" + fmt.Sprint(i) + "/24", "MTU 1450"}, Tooltip: "nsenter -t 4227 -n ip -d link show eth0"},
			{ID: h + "/veth", Rank: 1, Kind: KindIface, Label: "veth6", Lines: []string{"if35, peer of eth0"}, Tooltip: "nsenter --net=/run/docker/netns/1-iofgd74txc ip -d link show veth6"},
			{ID: h + "/br0", Rank: 2, Kind: KindBridge, Label: "br0", Lines: []string{"MTU 1450"}, Tooltip: "ip link show master br0"},
			{ID: h + "/vx", Rank: 3, Kind: KindTunnel, Label: "vxlan0", Lines: []string{"VNI 4097 · UDP 4789"}, Tooltip: "ip -d link show vxlan0"},
			{ID: h + "/eth0", Rank: 4, Kind: KindUnderlay, Label: "eth0", Lines: []string{fmt.Sprintf("192.168.56.%d/24", 10+i)}, Tooltip: "ip -d addr show eth0"},
		}
		c.Groups = []Group{{ID: h + "/ns", Label: "netns 1-iofgd74txc", Tooltip: "the overlay's namespace", Nodes: []string{h + "/veth", h + "/br0", h + "/vx"}}}
		g.Columns = append(g.Columns, c)
		g.Edges = append(g.Edges,
			Edge{From: h + "/c", To: h + "/veth", Kind: EdgeLink, Label: "veth pair"},
			Edge{From: h + "/veth", To: h + "/br0", Kind: EdgeLink},
			Edge{From: h + "/br0", To: h + "/vx", Kind: EdgeLink},
			Edge{From: h + "/vx", To: h + "/eth0", Kind: EdgeTunnel, Label: "UDP 4789"},
			Edge{From: h + "/eth0", To: "lab", Kind: EdgeLink})
	}
	for i := 1; i <= n; i++ {
		for j := i + 1; j <= n; j++ {
			st := OK
			if j == n {
				st = Fail
			}
			g.Edges = append(g.Edges, Edge{From: fmt.Sprintf("node%d/eth0", i), To: fmt.Sprintf("node%d/eth0", j), Kind: EdgeTunnel, Both: true, State: st,
				Label: "VXLAN", Tooltip: fmt.Sprintf("FDB: node%d → node%d", i, j)})
		}
	}
	return g
}

func topologyGraph() *Graph {
	g := &Graph{ID: "topo", Title: "lab vxlan-blocked"}
	for i := 1; i <= 3; i++ {
		h := fmt.Sprintf("node%d", i)
		g.Columns = append(g.Columns, &Column{ID: h, Label: h, Lines: []string{fmt.Sprintf("192.168.56.%d", 10+i), "worker"}})
	}
	g.Columns[2].Nodes = []*Node{{ID: "f1", Kind: KindNote, Label: "fault: 4789/udp blocked", Lines: []string{"from every peer"}}}
	g.Buses = []*Bus{
		{ID: "ov", Label: "overlab-overlay", Lines: []string{"overlay · 10.200.0.0/24", "20/34 as expected"}, State: Fail,
			Notes: []string{"✗ vxlan-blocked: node3 cannot receive VXLAN (4789/udp) from the other hosts, or cannot send it: every ICMP, TCP and UDP probe to or from it fails while its names resolve"}},
		{ID: "mv", Label: "overlab-macvlan", Lines: []string{"macvlan · 192.168.56.0/24"}, State: OK},
	}
	for i := 1; i <= 3; i++ {
		h := fmt.Sprintf("node%d", i)
		st := OK
		if i == 3 {
			st = Fail
		}
		g.Edges = append(g.Edges, Edge{From: h, To: "ov", Kind: EdgeLink, State: st}, Edge{From: h, To: "mv", Kind: EdgeLink, State: OK})
	}
	g.Edges = append(g.Edges, Edge{From: "node1", To: "node2", Kind: EdgePath, State: Fail, Arrow: true, Above: true, Label: "overlab-overlay: udp"})
	return g
}

func TestGolden(t *testing.T) {
	for name, g := range pictures() {
		for _, f := range Formats {
			t.Run(name+"/"+f, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, g, f); err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, name+"."+f+".golden", buf.Bytes())
			})
		}
	}
}

// TestSVGIsSelfContained: well-formed XML, nothing that fetches or runs,
// a title on every box, bus and edge.
func TestSVGIsSelfContained(t *testing.T) {
	for name, g := range pictures() {
		var buf bytes.Buffer
		if err := WriteSVG(&buf, g); err != nil {
			t.Fatal(err)
		}
		s := buf.String()
		for _, bad := range []string{"<script", "href", "@import", "url(http", "<image", "<foreignObject", "@font-face"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: the SVG holds %q", name, bad)
			}
		}
		if strings.Count(s, "http") != 1 { // the xmlns only
			t.Errorf("%s: the SVG names an address besides its namespace", name)
		}
		dec := xml.NewDecoder(&buf)
		parts, titles := 0, 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not well-formed XML: %v", name, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				for _, a := range se.Attr {
					if a.Name.Local == "data-node" || a.Name.Local == "data-bus" || a.Name.Local == "data-edge" {
						parts++
					}
				}
				if se.Name.Local == "title" {
					titles++
				}
			}
		}
		if titles < parts+1 {
			t.Errorf("%s: %d titles for %d parts and the picture", name, titles, parts)
		}
	}
}

// TestDOTParses: Debian's graphviz reads every DOT picture.
func TestDOTParses(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		testenv.SkipOrFail(t, "graphviz's dot is missing: apt-get install -y graphviz")
	}
	for name, g := range pictures() {
		var buf bytes.Buffer
		if err := WriteDOT(&buf, g); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("dot", "-Tsvg")
		cmd.Stdin = &buf
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("<svg")) {
			t.Errorf("%s: dot -Tsvg: %v\n%s", name, err, out)
		}
		if bytes.Contains(out, []byte("Warning")) {
			t.Errorf("%s: dot warns: %s", name, out[:min(len(out), 400)])
		}
	}
}

func TestValidateNamesTheUnknownBox(t *testing.T) {
	g := pathGraph(1)
	g.Edges = append(g.Edges, Edge{From: "node1/c", To: "nowhere"})
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("validate: %v", err)
	}
	if err := Write(io.Discard, pathGraph(1), "png"); err == nil || !strings.Contains(err.Error(), "svg, dot, mermaid") {
		t.Errorf("unknown format: %v", err)
	}
}
