package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"

	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/report/graph"
	"github.com/overlab/overlab/results"
)

// picture is a graph drawn as inline SVG for a page, with the width it
// asks for: the page scales it down to fit, but not below three quarters,
// so that a wide picture on a projector scrolls rather than shrinks away.
type picture struct {
	ID    string
	Title string
	SVG   template.HTML
	Width int
	// Style lets the page scale the picture from three quarters of its
	// size (a wider one scrolls) to one and a half (a small one fills the
	// page).
	Style template.CSS
}

func drawPicture(g *graph.Graph) (picture, error) {
	var b bytes.Buffer
	if err := graph.WriteSVG(&b, g); err != nil {
		return picture{}, err
	}
	w, _ := graph.Size(g)
	// The writer escapes every text it draws: the SVG is safe to inline.
	return picture{ID: g.ID, Title: g.Title, SVG: template.HTML(b.String()), Width: w,
		Style: template.CSS(fmt.Sprintf("max-width: %dpx; min-width: %dpx", w*3/2, w*3/4))}, nil
}

// pictureCSS lays a picture out as drawPicture promises.
const pictureCSS = `.picture { overflow-x: auto; margin: 10px 0 4px; }
.picture svg { display: block; width: 100%; height: auto; }`

var explainTmpl = template.Must(template.New("explain").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>overlab explain · {{.View.Network}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #10273d; font-size: 17px; }
main { max-width: 1400px; margin: 0 auto; }
section.card { border: 1px solid #d5dde5; border-radius: 8px; padding: 16px; margin: 16px 0; }
` + pictureCSS + `
.mono, code { font-family: ui-monospace, monospace; font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; }
td, th { border-bottom: 1px solid #e4e9ef; padding: 4px 6px; text-align: left; vertical-align: top; font-size: 14px; }
.x { color: #c44e00; font-weight: 700; }
</style></head><body><main>
<h1>The Linux view of {{.View.Network}}</h1>
<p>{{.View.Driver}} network{{if .View.Subnet}} {{.View.Subnet}}{{end}}{{if .View.VNI}}, VXLAN ID {{.View.VNI}}{{end}}: {{.Path}}</p>
<section class="card" id="topology">
<h2>Topology</h2>
<p>Hover over a box for the command that shows it by hand.</p>
<div class="picture" data-picture="{{.Picture.ID}}"><div style="{{.Picture.Style}}">{{.Picture.SVG}}</div></div>
</section>
<section class="card" id="explain">
{{range .View.Hosts}}<h3 data-host="{{.Host}}">{{.Host}}</h3>
{{if .Error}}<p class="x">✗ {{.Error}}</p>{{else}}
<table><thead><tr><th>kind</th><th>name</th><th>where</th><th>what</th><th>by hand</th></tr></thead><tbody>
{{range .Objects}}<tr data-kind="{{.Kind}}"><td>{{.Kind}}</td><td class="mono">{{.Name}}</td><td>{{.Where}}</td><td>{{.Detail}}{{if .Peer}}<br>⇄ {{.Peer}}{{end}}</td><td><code>{{.Command}}</code></td></tr>
{{end}}</tbody></table>{{end}}
{{end}}</section></main></body></html>
`))

// ExplainHTML writes `overlab explain` as a self-contained page: the
// picture of the network on every host (the same as --format svg), then
// every object with the command that shows it by hand. d, when given,
// colours the tunnels by a check's probes.
func ExplainHTML(w io.Writer, v explain.View, d *results.Document) error {
	p, err := drawPicture(ExplainGraph(v, d))
	if err != nil {
		return fmt.Errorf("explain html: %w", err)
	}
	data := struct {
		View    explain.View
		Path    string
		Picture picture
	}{View: v, Path: netdriver.Of(v.Driver).Path(), Picture: p}
	if err := explainTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("explain html: %w", err)
	}
	return nil
}
