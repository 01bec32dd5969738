package parselimit

import (
	"errors"
	"io"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestNewReaderFailsPastTheLimit(t *testing.T) {
	exact, err := io.ReadAll(NewReader(strings.NewReader(strings.Repeat("x", MaxBytes))))
	if err != nil || len(exact) != MaxBytes {
		t.Errorf("a document of exactly MaxBytes: %d bytes, %v", len(exact), err)
	}
	if _, err := io.ReadAll(NewReader(strings.NewReader(strings.Repeat("x", MaxBytes+1)))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("one byte more: %v", err)
	}
}

func TestCheckNode(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	for _, tc := range []struct{ doc, want string }{
		{"a: [1, 2, {b: c}]", ""},
		{"a: &x [1, 2]\nb: *x\nc: *x", ""},
		{"a:\n  b: " + deep, "line 2: nested deeper than 64 levels"},
		// 10 x 10 x ... : 10^6 nodes from 60 lines.
		{laughs(6), "expands to more than 100000 YAML nodes"},
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(tc.doc), &n); err != nil {
			t.Fatal(err)
		}
		err := CheckNode(&n)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%.40q: %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func laughs(levels int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= levels; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestCheckBrackets(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	for _, tc := range []struct{ doc, want string }{
		{"a = [[1], {b = 2}]\n[table]\n[[array]]", ""},
		{"a = \"" + deep + "\"", ""},             // in a string
		{"a = '" + deep + "'", ""},               // in a literal string
		{"a = \"\"\"\n" + deep + "\n\"\"\"", ""}, // in a multi-line string
		{"# " + deep + "\na = 1", ""},            // in a comment
		{"a = \"\\\"\"\nb = " + deep, "line 2: nested deeper than 64 levels"},
		{"a = 1\nb = " + deep, "line 2: nested deeper than 64 levels"},
	} {
		err := CheckBrackets([]byte(tc.doc))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%.40q: %v, want %q", tc.doc, err, tc.want)
		}
	}
}
