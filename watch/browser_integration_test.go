package watch_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/overlab/overlab/internal/testenv"
)

const chromiumPath = "/usr/bin/chromium"

// browser is a real headless Chromium with one tab, as the HTML report's
// test drives it (report/browser_test.go); closed when t ends.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.SkipOrFail(t, chromiumPath+" missing: apt-get install -y chromium")
	}
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancel() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: bctx}
}

// open loads the page and marks the window: a reload would lose the mark.
func (b *browser) open(url string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#live-networks"))); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.overlabMark = true`)); err != nil {
		b.t.Fatal(err)
	}
}

// cell is what the page shows of one cell now, and whether the window is
// still the one open loaded (no reload happened).
type cell struct {
	State    string `json:"state"`
	Title    string `json:"title"`
	Round    int    `json:"round"`
	Marked   bool   `json:"marked"`
	Conn     string `json:"conn"`
	Timeline string `json:"timeline"`
}

func (b *browser) cell(network, from, to string) cell {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
		const g = document.querySelector('g.cell[data-network=%q][data-from=%q][data-to=%q]');
		return {state: g ? g.dataset.state : "", title: g ? g.querySelector("title").textContent : "",
			round: +document.body.dataset.round, marked: window.overlabMark === true,
			conn: document.getElementById("live-conn").textContent,
			timeline: (document.getElementById("timeline") || {innerText: ""}).innerText};
	})()`, network, from, to)
	c, err := chromedp.Run(b.ctx, chromedp.Evaluate[cell](js))
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// waitCell waits until the cell's state is want, without a reload.
func (b *browser) waitCell(network, from, to, want string, within time.Duration) cell {
	b.t.Helper()
	deadline := time.Now().Add(within)
	var c cell
	for time.Now().Before(deadline) {
		c = b.cell(network, from, to)
		if !c.Marked {
			b.t.Fatalf("the page was reloaded: it must update in place")
		}
		if c.State == want {
			return c
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.t.Fatalf("cell %s %s→%s: %q after %v, want %q (round %d, %s)", network, from, to, c.State, within, want, c.Round, c.Conn)
	return c
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("OVERLAB_ARTIFACTS")
	if dir == "" {
		return
	}
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(dir+"/"+name+".png", shot, 0o644)
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}
