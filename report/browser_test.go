package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overlab/overlab/internal/testenv"
	"github.com/overlab/overlab/report/graph"
	"github.com/overlab/overlab/results"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// pageInfo is what the test reads out of the rendered page.
type pageInfo struct {
	Matrices []struct {
		Network string `json:"network"`
		Rows    int    `json:"rows"`
		Cols    int    `json:"cols"`
		Cells   int    `json:"cells"`
		Failed  int    `json:"failed"`
		Width   int    `json:"width"`
	} `json:"matrices"`
	Titles    []string `json:"titles"`
	Resources int      `json:"resources"`
	Summary   string   `json:"summary"`
	Failures  string   `json:"failures"`
	Pictures  []struct {
		ID     string   `json:"id"`
		Hosts  int      `json:"hosts"`
		Buses  int      `json:"buses"`
		Nodes  int      `json:"nodes"`
		Broken []string `json:"broken"`
		Notes  string   `json:"notes"`
		Scale  float64  `json:"scale"`
	} `json:"pictures"`
	Faults []string `json:"faults"`
}

// picturesJS reads every picture of the page: its boxes, buses, the edges
// drawn broken, the notes under the buses, and the scale it is drawn at.
const picturesJS = `[...document.querySelectorAll("div.picture svg")].map(s => ({
	id: s.dataset.graph,
	hosts: s.querySelectorAll("g[data-host]").length,
	buses: s.querySelectorAll("g[data-bus]").length,
	nodes: s.querySelectorAll("g[data-node]").length,
	broken: [...s.querySelectorAll('g[data-edge][data-state="fail"]')].map(g => g.dataset.edge),
	notes: [...s.querySelectorAll("text.note")].map(t => t.textContent).join(" "),
	scale: s.getBoundingClientRect().width / s.viewBox.baseVal.width,
}))`

// TestHTMLInBrowser opens the HTML reports in a real headless Chromium from
// file:// and checks what a reader sees: nothing fetched beyond the file,
// every network's matrix with the right number of cells, the failed cells'
// causes. Screenshots go to $OVERLAB_ARTIFACTS (default a temporary
// directory). Without Chromium it skips, except in CI (CI=true) where it
// fails: CI must install Debian's chromium package.
func TestHTMLInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.SkipOrFail(t, chromiumPath+" missing: apt-get install -y chromium")
	}
	artifacts := artifactDir(t)
	start := time.Now()
	bctx := startBrowser(t, 1280, 900, 90*time.Second)

	dir := t.TempDir()
	// The fixtures, and vxlan-blocked as lab run recorded it on 10 hosts:
	// the pictures must stay readable that wide.
	for _, fx := range append(append([]string(nil), fixtures...), "big/vxlan-blocked-10") {
		t.Run(fx, func(t *testing.T) {
			d := loadFixture(t, fx)
			var buf bytes.Buffer
			if err := HTML(&buf, d); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, strings.ReplaceAll(fx, "/", "-")+".html")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			url := "file://" + path

			// The listener is in place before the tab's first command, so
			// no request of the page can slip past it.
			var mu sync.Mutex
			var requests []string
			tctx, cancelTab := chromedp.NewContext(bctx, chromedp.WithListener(func(ev any) {
				if e, ok := ev.(*network.EventRequestWillBeSent); ok {
					mu.Lock()
					requests = append(requests, e.Request.URL)
					mu.Unlock()
				}
			}))
			defer cancelTab()

			err := chromedp.Do(tctx,
				chromedp.Navigate(url),
				chromedp.WaitVisible(chromedp.CSS("#hosts")),
			)
			if err != nil {
				t.Fatal(err)
			}
			page, err := chromedp.Run(tctx, chromedp.Evaluate[pageInfo](`({
					matrices: [...document.querySelectorAll("section.network")].map(s => ({
						network: s.dataset.network,
						rows: +s.dataset.rows, cols: +s.dataset.cols,
						cells: s.querySelectorAll("g.cell").length,
						failed: s.querySelectorAll('g.cell[data-ok="false"]').length,
						width: Math.round(s.querySelector("svg.matrix").getBoundingClientRect().width),
					})),
					titles: [...document.querySelectorAll('g.cell[data-ok="false"] > title')].map(t => t.textContent),
					resources: performance.getEntriesByType("resource").length,
					summary: document.querySelector("#summary").innerText,
					failures: (document.querySelector("#failures") || {innerText: ""}).innerText,
					pictures: `+picturesJS+`,
					faults: [...document.querySelectorAll("#faults li")].map(li => li.dataset.faultKind + ":" + li.dataset.ok),
				})`))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}

			mu.Lock()
			defer mu.Unlock()
			sawFile := false
			for _, u := range requests {
				switch {
				case u == url:
					sawFile = true
				case strings.HasPrefix(u, "data:"):
				default:
					t.Errorf("the page requested %s: only the file itself and data: URLs are allowed", u)
				}
			}
			if !sawFile {
				t.Errorf("no request event for the page itself (%v): is the listener working?", requests)
			}
			if page.Resources != 0 {
				t.Errorf("the page loaded %d resources", page.Resources)
			}

			if len(page.Matrices) != len(d.Networks) {
				t.Fatalf("%d matrices for %d networks", len(page.Matrices), len(d.Networks))
			}
			for i, m := range matrices(d) {
				got := page.Matrices[i]
				wantCells := len(m.Rows) * len(m.Columns())
				if got.Network != m.Network.Name || got.Cells != wantCells || got.Rows*got.Cols != wantCells {
					t.Errorf("matrix %d: %+v, want %s with %d cells", i, got, m.Network.Name, wantCells)
				}
				wantFailed := 0
				for _, r := range m.Rows {
					for _, c := range m.Columns() {
						if cl := m.Cell(r, c); !cl.Empty() && !cl.OK() {
							wantFailed++
						}
					}
				}
				if got.Failed != wantFailed {
					t.Errorf("%s: %d failed cells shown, want %d", m.Network.Name, got.Failed, wantFailed)
				}
				if got.Width < 300 {
					t.Errorf("%s: matrix drawn %dpx wide", m.Network.Name, got.Width)
				}
			}

			s := summarize(d.Probes)
			if s.Failed == 0 {
				if !strings.Contains(page.Summary, fmt.Sprintf("All %d probes as expected", s.Total)) {
					t.Errorf("summary %q", page.Summary)
				}
			} else {
				if !strings.Contains(page.Summary, fmt.Sprintf("%d of %d probes not as expected", s.Failed, s.Total)) {
					t.Errorf("summary %q", page.Summary)
				}
				if len(page.Titles) == 0 {
					t.Error("no failed cell carries a title")
				}
				for _, p := range failures(d) {
					cause := probeError(p)
					found := false
					for _, title := range page.Titles {
						if strings.Contains(title, p.From+" → "+p.To) && strings.Contains(title, p.Kind+": "+cause) {
							found = true
						}
					}
					if !found {
						t.Errorf("no failed cell shows %s %s→%s %s: %s", p.Network, p.From, p.To, p.Kind, cause)
					}
					if !strings.Contains(page.Failures, cause) {
						t.Errorf("failed probes table lacks %q", cause)
					}
				}
			}

			checkPictures(t, d, page)
			if want, ok := seen[fx]; ok {
				want(t, page)
			}

			out := filepath.Join(artifacts, "report-"+strings.ReplaceAll(fx, "/", "-")+".png")
			if err := os.WriteFile(out, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", out)
		})
	}
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}

// checkPictures wants on the page the pictures the document makes: the
// topology and each network's Linux view, each with its hosts, networks,
// boxes and broken edges as the builders drew them, every diagnosis under
// its network, drawn at a scale where a host's name (20 units) is at least
// 14 px and a box's label (15 units) 11 px on a 1280-pixel screen; and a
// fault lab's faults and diagnoses listed.
func checkPictures(t *testing.T, d *results.Document, page pageInfo) {
	t.Helper()
	graphs := []*graph.Graph{TopologyGraph(d)}
	for _, v := range d.Explain {
		graphs = append(graphs, ExplainGraph(v, d))
	}
	if len(page.Pictures) != len(graphs) {
		t.Fatalf("%d pictures on the page, want %d (the topology and %d Linux views)", len(page.Pictures), len(graphs), len(d.Explain))
	}
	for i, g := range graphs {
		got := page.Pictures[i]
		nodes, broken := 0, 0
		for _, c := range g.Columns {
			nodes += len(c.Nodes)
		}
		for _, e := range g.Edges {
			if e.State == graph.Fail {
				broken++
			}
		}
		if got.ID != g.ID || got.Hosts != len(g.Columns) || got.Buses != len(g.Buses) || got.Nodes != nodes || len(got.Broken) != broken {
			t.Errorf("picture %d: %+v, want %s with %d hosts, %d buses, %d boxes, %d broken edges", i, got, g.ID, len(g.Columns), len(g.Buses), nodes, broken)
		}
		if 20*got.Scale < 14 || 15*got.Scale < 11 {
			t.Errorf("picture %s drawn at scale %.2f: a host's name is %.1f px, a box's label %.1f px", g.ID, got.Scale, 20*got.Scale, 15*got.Scale)
		}
	}
	for _, diag := range d.Diagnoses {
		if len(diag.Networks) > 0 && !strings.Contains(strings.Join(strings.Fields(page.Pictures[0].Notes), " "), strings.Join(strings.Fields(diag.Cause), " ")[:min(60, len(diag.Cause))]) {
			t.Errorf("the topology does not say the diagnosis %q beside its network: %q", diag.Cause, page.Pictures[0].Notes)
		}
	}
	if want := len(faultCases(d.Faults)); len(page.Faults) != want {
		t.Errorf("faults section lists %q, want %d cases", page.Faults, want)
	}
}

// seen is what a class must see on the page of some fixtures, said
// independently of the builders: for vxlan-blocked the broken overlay at
// node3, the tunnels to node3 broken in the picture of the VXLAN path, and
// "node3 cannot receive VXLAN (4789/udp)" beside the overlay.
var seen = map[string]func(*testing.T, pageInfo){
	"vxlan-blocked": func(t *testing.T, page pageInfo) {
		topo, ov := page.Pictures[0], page.Pictures[1]
		if strings.Join(topo.Broken, " ") != "node3>net-overlab-vxb-overlay" || !strings.Contains(topo.Notes, "node3 cannot receive VXLAN (4789/udp)") {
			t.Errorf("topology: broken %q, notes %q", topo.Broken, topo.Notes)
		}
		if ov.ID != "explain-overlab-vxb-overlay" || strings.Join(ov.Broken, " ") != "node1/underlay/eth0>node3/underlay/eth0 node2/underlay/eth0>node3/underlay/eth0" {
			t.Errorf("the VXLAN path: %s broken %q, want the tunnels to node3", ov.ID, ov.Broken)
		}
	},
}

// artifactDir is where screenshots go: $OVERLAB_ARTIFACTS, else
// testdata-artifacts/ at the repository's root (git ignores it), kept after
// the test for a person or CI to look at.
func artifactDir(t *testing.T) string {
	t.Helper()
	artifacts := os.Getenv("OVERLAB_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join("..", "testdata-artifacts")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	return artifacts
}

// startBrowser starts a headless Chromium with a window of w × h for at
// most timeout; the test's cleanup stops it.
func startBrowser(t *testing.T, w, h int, timeout time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}
