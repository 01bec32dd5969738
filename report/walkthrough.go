package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/overlab/overlab/blueprint"
)

// Walkthrough prints steps as text: a numbered title, the note as comments,
// then "host$ command" lines.
func Walkthrough(w io.Writer, steps []blueprint.Step) error {
	width := 0
	for _, s := range steps {
		for _, c := range s.Commands {
			width = max(width, len(c.Host))
		}
	}
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# %d. %s\n", i+1, s.Title)
		for _, line := range Wrap(s.Note, 76) {
			b.WriteString("#    " + line + "\n")
		}
		for _, c := range s.Commands {
			fmt.Fprintf(&b, "%-*s$ %s", width, c.Host, c.Line)
			if c.Comment != "" {
				b.WriteString("   # " + c.Comment)
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Wrap breaks s into lines of at most width characters, at spaces.
func Wrap(s string, width int) []string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(word) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += word
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
