package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/overlab/overlab/internal/testenv"
)

// MermaidJS is where scripts/setup.sh puts Mermaid's own parser (the npm
// package's one-file bundle), for this test only: overlab's pages never
// load it.
const MermaidJS = "/var/cache/overlab/mermaid/mermaid.min.js"

// TestMermaidParses gives every Mermaid picture of the golden files to
// Mermaid itself (its parser, in a real Chromium): each must parse.
func TestMermaidParses(t *testing.T) {
	js := os.Getenv("OVERLAB_MERMAID_JS")
	if js == "" {
		js = MermaidJS
	}
	if _, err := os.Stat(js); err != nil {
		testenv.SkipOrFail(t, js+" missing: make setup-test installs Mermaid's bundle from npm")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.SkipOrFail(t, chromiumPath+" missing: apt-get install -y chromium")
	}
	files, _ := filepath.Glob("testdata/pictures/*.mermaid.golden")
	files2, _ := filepath.Glob("graph/testdata/*.mermaid.golden")
	files = append(files, files2...)
	if len(files) == 0 {
		t.Fatal("no Mermaid golden files")
	}
	texts := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(f)] = string(b)
	}
	page := filepath.Join(t.TempDir(), "mermaid.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><script src="file://`+js+`"></script></head><body></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := startBrowser(t, 1280, 900, 60*time.Second)
	in, _ := json.Marshal(texts)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(async () => {
			mermaid.initialize({startOnLoad: false});
			const texts = `+string(in)+`, out = {};
			for (const [name, text] of Object.entries(texts)) {
				try { await mermaid.parse(text); out[name] = ""; } catch (e) { out[name] = String(e.message || e); }
			}
			return out;
		})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for name := range texts {
		if msg, ok := out[name]; !ok || msg != "" {
			t.Errorf("%s: Mermaid says: %s", name, strings.TrimSpace(msg))
		}
	}
	t.Logf("%d Mermaid pictures parsed", len(texts))
}
