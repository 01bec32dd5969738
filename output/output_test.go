package output

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type row struct {
	Name    string   `json:"name"`
	Count   int      `json:"count"`
	Flag    string   `json:"flag,omitempty"`
	Version string   `json:"version"`
	Log     string   `json:"log"`
	Tags    []string `json:"tags"`
}

func TestPrint(t *testing.T) {
	v := []row{{Name: "node1", Count: 2, Version: "1.10", Log: "line one\nline two\n", Tags: []string{"a"}}}
	table := func(w io.Writer) error { _, err := io.WriteString(w, "TABLE\n"); return err }
	tests := []struct {
		format, want string
	}{
		{"", "TABLE\n"},
		{"table", "TABLE\n"},
		{"json", "[\n  {\n    \"name\": \"node1\",\n    \"count\": 2,\n    \"version\": \"1.10\",\n    \"log\": \"line one\\nline two\\n\",\n    \"tags\": [\n      \"a\"\n    ]\n  }\n]\n"},
		// JSON names and order; "1.10" stays a string; multi-line text is a literal block.
		{"yaml", "- name: node1\n  count: 2\n  version: \"1.10\"\n  log: |\n    line one\n    line two\n  tags:\n    - a\n"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := Print(&buf, tc.format, v, table); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if buf.String() != tc.want {
			t.Errorf("format %q:\ngot:\n%s\nwant:\n%s", tc.format, buf.String(), tc.want)
		}
	}
	if err := Print(io.Discard, "xml", v, table); err == nil || !strings.Contains(err.Error(), "table, json or yaml") {
		t.Errorf("unknown format: %v", err)
	}
	boom := errors.New("boom")
	if err := Print(io.Discard, "table", v, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("table error not returned: %v", err)
	}
}

func TestFormatFlag(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	var f string
	AddFormatFlag(fs, &f, Table, JSON, YAML, "html")
	if f != Table {
		t.Errorf("default %q", f)
	}
	if err := fs.Parse([]string{"--format", "html"}); err != nil {
		t.Fatal(err)
	}
	if err := CheckFormat(f, Table, JSON, YAML, "html"); err != nil {
		t.Error(err)
	}
	if err := CheckFormat("html"); err == nil {
		t.Error("html accepted where only table, json, yaml are")
	}
}
