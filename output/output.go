package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Formats every data-printing command offers.
const (
	Table = "table"
	JSON  = "json"
	YAML  = "yaml"
)

// Print writes v as JSON or YAML, or calls table for the table format ("" is
// table too).
func Print(w io.Writer, format string, v any, table func(io.Writer) error) error {
	switch format {
	case "", Table:
		return table(w)
	case JSON:
		return WriteJSON(w, v)
	case YAML:
		return WriteYAML(w, v)
	default:
		return fmt.Errorf("unknown format %q (want table, json or yaml)", format)
	}
}

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteYAML writes v as YAML with its JSON field names and field order: v is
// encoded as JSON and re-read as a YAML node (JSON is YAML), so json tags are
// the only tags a type needs.
func WriteYAML(w io.Writer, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &n); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	blockStyle(&n)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	return enc.Close()
}

// blockStyle drops the JSON flow style and quoting; the encoder quotes again
// only where a plain scalar would change type. Multi-line strings become
// literal blocks, readable as raw output.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.Contains(n.Value, "\n") {
		n.Style = yaml.LiteralStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// AddFormatFlag registers --format on fs; the first of formats is the
// default (table, json, yaml when none are given).
func AddFormatFlag(fs *pflag.FlagSet, p *string, formats ...string) {
	if len(formats) == 0 {
		formats = []string{Table, JSON, YAML}
	}
	fs.StringVar(p, "format", formats[0], "output format: "+strings.Join(formats, "|"))
}

// CheckFormat rejects a format not in formats (table, json, yaml when none
// are given), naming the ones allowed.
func CheckFormat(format string, formats ...string) error {
	if len(formats) == 0 {
		formats = []string{Table, JSON, YAML}
	}
	for _, f := range formats {
		if format == f {
			return nil
		}
	}
	return fmt.Errorf("unknown --format %q (want %s)", format, strings.Join(formats, ", "))
}
