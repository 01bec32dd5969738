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
}

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
	artifacts := os.Getenv("OVERLAB_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}

	dir := t.TempDir()
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			d := loadFixture(t, fx)
			var buf bytes.Buffer
			if err := HTML(&buf, d); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fx+".html")
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

			out := filepath.Join(artifacts, "report-"+fx+".png")
			if err := os.WriteFile(out, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", out)
		})
	}
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}
