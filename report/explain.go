package report

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/netdriver"
)

// explainColumn is one stage of a host's diagram, left to right.
type explainColumn struct {
	Title string
	Items []string
}

type explainHost struct {
	explain.HostView
	Diagram []explainColumn
}

// diagram lays a host's objects out as containers → veth → bridge → vxlan
// → underlay.
func diagram(driver string, h explain.HostView) []explainColumn {
	cols := []explainColumn{{Title: "containers"}, {Title: "veth / child"}, {Title: "bridge"}, {Title: "tunnel"}, {Title: "underlay"}}
	for _, o := range h.Objects {
		switch o.Kind {
		case "veth", "macvlan", "ipvlan":
			cols[0].Items = append(cols[0].Items, strings.TrimPrefix(o.Where, "container ")+" "+o.Name)
			peer, _, _ := strings.Cut(o.Peer, " ")
			cols[1].Items = append(cols[1].Items, peer)
		case "bridge":
			cols[2].Items = append(cols[2].Items, o.Name+" ("+o.Where+")")
		case "vxlan":
			cols[3].Items = append(cols[3].Items, o.Name+" "+strings.SplitN(o.Detail, ",", 2)[0])
		case "fdb":
			d := strings.TrimPrefix(o.Detail, "frames for "+o.Name+" go in VXLAN to ")
			if !slices.Contains(cols[4].Items, d) {
				cols[4].Items = append(cols[4].Items, d)
			}
		case "parent":
			cols[2].Items = append(cols[2].Items, "parent "+o.Name)
		}
	}
	if netdriver.Of(driver).Traits().Objects == netdriver.ObjectsParent {
		cols[3].Items = []string{"(none: frames leave on the parent)"}
	}
	return cols
}

var explainTmpl = template.Must(template.New("explain").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>overlab explain · {{.View.Network}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #10273d; }
section.card { border: 1px solid #d5dde5; border-radius: 8px; padding: 16px; margin: 16px 0; }
.flow { display: flex; gap: 8px; align-items: stretch; }
.stage { flex: 1; border: 1px solid #9fb3c8; border-radius: 6px; padding: 8px; background: #f4f7fa; }
.stage h4 { margin: 0 0 6px 0; font-size: 12px; text-transform: uppercase; color: #486581; }
.arrow { align-self: center; font-size: 20px; color: #486581; }
.mono, code { font-family: ui-monospace, monospace; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; }
td, th { border-bottom: 1px solid #e4e9ef; padding: 4px 6px; text-align: left; vertical-align: top; font-size: 13px; }
</style></head><body>
<section class="card" id="explain">
<h2>The Linux view of {{.View.Network}} ({{.View.Driver}}{{if .View.Subnet}} {{.View.Subnet}}{{end}}{{if .View.VNI}}, VXLAN ID {{.View.VNI}}{{end}})</h2>
<p>{{.Path}}</p>
{{range .Hosts}}<h3 data-host="{{.Host}}">{{.Host}}</h3>
{{if .Error}}<p class="x">✗ {{.Error}}</p>{{else}}
<div class="flow">{{range $i, $c := .Diagram}}{{if $i}}<div class="arrow">→</div>{{end}}<div class="stage"><h4>{{$c.Title}}</h4>{{range $c.Items}}<div class="mono">{{.}}</div>{{end}}</div>{{end}}</div>
<table><thead><tr><th>kind</th><th>name</th><th>where</th><th>what</th><th>by hand</th></tr></thead><tbody>
{{range .Objects}}<tr data-kind="{{.Kind}}"><td>{{.Kind}}</td><td class="mono">{{.Name}}</td><td>{{.Where}}</td><td>{{.Detail}}{{if .Peer}}<br>⇄ {{.Peer}}{{end}}</td><td><code>{{.Command}}</code></td></tr>
{{end}}</tbody></table>{{end}}
{{end}}</section></body></html>
`))

// ExplainHTML writes `overlab explain` as a self-contained page: per host a
// diagram (containers → veth → bridge → vxlan → underlay) and every object
// with the command that shows it by hand.
func ExplainHTML(w io.Writer, v explain.View) error {
	data := struct {
		View  explain.View
		Path  string
		Hosts []explainHost
	}{View: v, Path: netdriver.Of(v.Driver).Path()}
	for _, h := range v.Hosts {
		data.Hosts = append(data.Hosts, explainHost{HostView: h, Diagram: diagram(v.Driver, h)})
	}
	if err := explainTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("explain html: %w", err)
	}
	return nil
}
