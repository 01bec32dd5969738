package report

import (
	"io"

	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/results"
)

// JSON writes the document as indented JSON: the results.json of a run.
func JSON(w io.Writer, d *results.Document) error { return d.Encode(w) }

// YAML writes the document as YAML with the JSON field names.
func YAML(w io.Writer, d *results.Document) error { return output.WriteYAML(w, d) }
