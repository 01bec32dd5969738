package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/overlab/overlab/internal/testenv"
)

// scalePage is what the test reads out of a 100-host page.
type scalePage struct {
	Matrices []struct {
		Network   string   `json:"network"`
		Rows      int      `json:"rows"`
		Cols      int      `json:"cols"`
		RowLabels []string `json:"rowLabels"`
		ColLabels []string `json:"colLabels"`
		// FootLabels repeat the column labels under the matrix.
		FootLabels []string `json:"footLabels"`
		Cells      int      `json:"cells"`
		Untitled   int      `json:"untitled"`
		Failed     int      `json:"failed"`
		Marked     int      `json:"marked"`
		Groups     []string `json:"groups"`
	} `json:"matrices"`
	// Sizes on screen, in CSS pixels, of the first matrix's labels.
	LabelHeight  float64  `json:"labelHeight"`
	RowOverlaps  int      `json:"rowOverlaps"`
	ColOverlaps  int      `json:"colOverlaps"`
	CellSize     float64  `json:"cellSize"`
	ScrollWidth  int      `json:"scrollWidth"`
	InnerWidth   int      `json:"innerWidth"`
	Legend       []string `json:"legend"`
	ScaleLabels  []string `json:"scaleLabels"`
	Titles       []string `json:"titles"`
	OKTitle      string   `json:"okTitle"`
	UnreachTitle string   `json:"unreachTitle"`
	Unreached    []string `json:"unreached"`
}

// TestHTMLInBrowserAt100Hosts renders a generated 100-host check (see
// synthDoc) and reads the page in a real Chromium as a person would at a
// 1280-pixel window: every row and column labelled, labels at least 9 px
// high and not overlapping, the page not wider than the window, the
// legend and the RTT scale, a hover title on every cell naming the pair,
// the kinds and, for a failure, each kind's cause; hovering a cell
// highlights its row and column labels. Screenshots (the whole page and a
// hovered cell) go to $OVERLAB_ARTIFACTS.
func TestHTMLInBrowserAt100Hosts(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.SkipOrFail(t, chromiumPath+" missing: apt-get install -y chromium")
	}
	artifacts := artifactDir(t)
	d := synthDoc(100)
	var buf bytes.Buffer
	if err := HTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	t.Logf("page: %d bytes for %d probes", buf.Len(), len(d.Probes))
	path := filepath.Join(t.TempDir(), "synth-100.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := startBrowser(t, 1280, 900, 120*time.Second)
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("#hosts"))); err != nil {
		t.Fatal(err)
	}
	t.Logf("Chromium loaded it in %s", time.Since(start).Round(time.Millisecond))
	page, err := chromedp.Run(ctx, chromedp.Evaluate[scalePage](scaleProbeJS))
	if err != nil {
		t.Fatal(err)
	}

	t.Logf("labels %.1f px high, cells %.1f px, page %d px wide in a %d px window", page.LabelHeight, page.CellSize, page.ScrollWidth, page.InnerWidth)
	ms := matrices(d)
	if len(page.Matrices) != len(ms) {
		t.Fatalf("%d heatmaps for %d networks", len(page.Matrices), len(ms))
	}
	for i, m := range ms {
		got := page.Matrices[i]
		cols := m.Columns()
		if got.Network != m.Network.Name || got.Rows != len(m.Rows) || got.Cols != len(cols) || got.Cells != len(m.Rows)*len(cols) {
			t.Errorf("%s: %d×%d with %d cells, want %d×%d", m.Network.Name, got.Rows, got.Cols, got.Cells, len(m.Rows), len(cols))
		}
		if strings.Join(got.RowLabels, " ") != strings.Join(m.Rows, " ") || strings.Join(got.ColLabels, " ") != strings.Join(cols, " ") || strings.Join(got.FootLabels, " ") != strings.Join(cols, " ") {
			t.Errorf("%s: %d row labels and %d column labels, want every host in order (%d)", m.Network.Name, len(got.RowLabels), len(got.ColLabels), len(m.Rows))
		}
		if got.Untitled != 0 {
			t.Errorf("%s: %d cells without a hover title", m.Network.Name, got.Untitled)
		}
		wantFailed := 0
		for _, r := range m.Rows {
			for _, c := range cols {
				if cl := m.Cell(r, c); !cl.Empty() && !cl.OK() {
					wantFailed++
				}
			}
		}
		if got.Failed != wantFailed || got.Marked != wantFailed {
			t.Errorf("%s: %d failed cells, %d marked ✗, want %d", m.Network.Name, got.Failed, got.Marked, wantFailed)
		}
	}
	if want := "host-unreachable node100 · vxlan-blocked node041 · mtu node098"; strings.Join(page.Matrices[0].Groups, " · ") != want {
		t.Errorf("overlay summary beside the heatmap: %q, want %q", strings.Join(page.Matrices[0].Groups, " · "), want)
	}

	// Readable: labels of a legible size that do not run into each other,
	// cells big enough to point at, and no sideways scrolling.
	if page.LabelHeight < 9 {
		t.Errorf("labels are %.1f px high: unreadable", page.LabelHeight)
	}
	if page.RowOverlaps > 0 || page.ColOverlaps > 0 {
		t.Errorf("%d row labels and %d column labels overlap their neighbour", page.RowOverlaps, page.ColOverlaps)
	}
	if page.CellSize < 9 {
		t.Errorf("cells are %.1f px: too small to point at", page.CellSize)
	}
	if page.ScrollWidth > page.InnerWidth {
		t.Errorf("the page is %d px wide in a %d px window", page.ScrollWidth, page.InnerWidth)
	}
	for _, want := range []string{"every probe as expected", "unreachable, as the lab expects", "not as expected", "not probed"} {
		if !strings.Contains(strings.Join(page.Legend, "|"), want) {
			t.Errorf("legend %q lacks %q", page.Legend, want)
		}
	}
	if strings.Join(page.ScaleLabels, " ") != "0.1 ms 1 ms 10 ms 100 ms" {
		t.Errorf("RTT scale labels %q", page.ScaleLabels)
	}
	if strings.Join(page.Unreached, "|") != "node100" {
		t.Errorf("unreachable hosts shown above the folded table: %q", page.Unreached)
	}

	// Hover titles: a passing cell names its kinds and RTT; an expected
	// unreachable one its kind and note; every failed probe appears, with
	// its kind and cause, in its cell's title.
	if want := "overlab-overlay: node001 → node002: 4 probes as expected (icmp, tcp, udp, dns), RTT "; !strings.HasPrefix(page.OKTitle, want) {
		t.Errorf("passing cell's title %q, want it to start %q", page.OKTitle, want)
	}
	if want := "overlab-macvlan: node001 → node001: unreachable (icmp), as expected\nA macvlan container"; !strings.HasPrefix(page.UnreachTitle, want) {
		t.Errorf("expected-unreachable cell's title %q, want it to start %q", page.UnreachTitle, want)
	}
	byPair := map[string]string{}
	for _, title := range page.Titles {
		head, _, _ := strings.Cut(title, ": not as expected")
		byPair[head] = title
	}
	for _, p := range failures(d) {
		title := byPair[p.Network+": "+p.From+" → "+p.To]
		if !strings.Contains(title, p.Kind+": "+probeError(p)) {
			t.Errorf("the title of %s %s → %s lacks %s: %s (title %q)", p.Network, p.From, p.To, p.Kind, probeError(p), title)
			break
		}
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	writeArtifact(t, artifacts, "report-synth-100.png", shot)

	// Hover a failed cell of node041's column, the heatmap's top at the
	// window's: its row and column labels turn vermillion and bold, the
	// others stay as they were.
	at, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		document.querySelector("#network-0 .hm").scrollIntoView();
		const c = document.querySelector('#network-0 g.cell[data-from="node009"][data-to="node041"]');
		const r = c.querySelector("rect").getBoundingClientRect();
		return [r.x + r.width / 2, r.y + r.height / 2];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0], at[1])); err != nil {
		t.Fatal(err)
	}
	fills, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const s = document.querySelector("#network-0");
		const fill = sel => getComputedStyle(s.querySelector(sel)).fill;
		return [fill(".hl.r8"), fill(".hl.c40"), fill(".hl.r9"), fill(".hl.c41"), s.querySelector(".hl.r8").textContent, s.querySelector(".hl.c40").textContent];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if fills[0] != "rgb(196, 78, 0)" || fills[1] != "rgb(196, 78, 0)" || fills[2] == fills[0] || fills[3] == fills[0] || fills[4] != "node009" || fills[5] != "node041" {
		t.Errorf("hovering node009 → node041: label fills %q, want its row and column labels vermillion and only those", fills)
	}
	if foot, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#network-0 .hl.c40.foot")).fill`)); err != nil || foot != "rgb(196, 78, 0)" {
		t.Errorf("the column label under the matrix: %q %v, want it highlighted too", foot, err)
	}
	hover, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	writeArtifact(t, artifacts, "report-synth-100-hover.png", hover)
}

func writeArtifact(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)
}

// scaleProbeJS measures the page; overlap counts consecutive labels whose
// boxes intersect (rows vertically, rotated columns horizontally).
const scaleProbeJS = `(() => {
	const text = el => el.textContent;
	const overlaps = (els, a, b) => {
		let n = 0;
		for (let i = 1; i < els.length; i++) {
			const p = els[i-1].getBoundingClientRect(), q = els[i].getBoundingClientRect();
			if (q[a] < p[b] - 0.5) n++;
		}
		return n;
	};
	const first = document.querySelector("section.network");
	const rows = [...first.querySelectorAll("text.hl[class*=' r']")];
	const cols = [...first.querySelectorAll("text.hl[class*=' c']:not(.foot)")];
	return {
		matrices: [...document.querySelectorAll("section.network")].map(s => ({
			network: s.dataset.network, rows: +s.dataset.rows, cols: +s.dataset.cols,
			rowLabels: [...s.querySelectorAll("text.hl[class*=' r']")].map(text),
			colLabels: [...s.querySelectorAll("text.hl[class*=' c']:not(.foot)")].map(text),
			footLabels: [...s.querySelectorAll("text.hl.foot")].map(text),
			cells: s.querySelectorAll("g.cell").length,
			untitled: [...s.querySelectorAll("g.cell")].filter(g => !g.querySelector("title") || !g.querySelector("title").textContent).length,
			failed: s.querySelectorAll('g.cell[data-ok="false"]').length,
			marked: s.querySelectorAll('g.cell[data-ok="false"] path').length,
			groups: [...s.querySelectorAll("tr.group[data-host]")].map(r => r.dataset.pattern + " " + r.dataset.host),
		})),
		labelHeight: rows[0].getBoundingClientRect().height,
		rowOverlaps: overlaps(rows, "top", "bottom"),
		colOverlaps: overlaps(cols, "left", "right"),
		cellSize: first.querySelector("g.cell rect").getBoundingClientRect().width,
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
		legend: [...document.querySelectorAll(".legend > span")].map(s => s.textContent.trim()),
		scaleLabels: [...document.querySelectorAll(".legend svg text")].map(text).filter(t => t.endsWith("ms")),
		titles: [...document.querySelectorAll('g.cell[data-ok="false"] > title')].map(text),
		okTitle: document.querySelector('g.cell[data-network="overlab-overlay"][data-from="node001"][data-to="node002"] > title').textContent,
		unreachTitle: document.querySelector('g.cell[data-network="overlab-macvlan"][data-from="node001"][data-to="node001"] > title').textContent,
		unreached: [...document.querySelectorAll("#hosts p.unreached")].map(p => p.dataset.host),
	};
})()`
