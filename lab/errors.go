package lab

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a lab, located as precisely as known.
type Problem struct {
	Line    int    // 0 when unknown
	Item    string // e.g. `network "overlab-macvlan"`, `expect #3`; empty for the lab itself
	Field   string // e.g. "subnet", "to.host"
	Message string
}

// Error lists every problem found in one lab file.
type Error struct {
	Source   string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, e.format(p))
	}
	return strings.Join(lines, "\n")
}

func (e *Error) format(p Problem) string {
	var b strings.Builder
	b.WriteString(e.Source)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Item != "" {
		b.WriteString(p.Item + ": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Lines returns each problem formatted on its own.
func (e *Error) Lines() []string {
	out := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		out = append(out, e.format(p))
	}
	return out
}

// problems accumulates Problems against a lab's positions.
type problems struct {
	l   *Lab
	out []Problem
}

// add records a problem at path (the YAML path used to find the line; it
// falls back to the nearest enclosing path that has one).
func (ps *problems) add(path, item, field, format string, args ...any) {
	ps.out = append(ps.out, Problem{Line: ps.l.line(path), Item: item, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.out) == 0 {
		return nil
	}
	return &Error{Source: ps.l.source(), Problems: ps.out}
}

func (l *Lab) source() string {
	if l.Source == "" {
		return "lab " + fmt.Sprintf("%q", l.Name)
	}
	return l.Source
}

// line finds the line of path or of its nearest ancestor.
func (l *Lab) line(path string) int {
	for path != "" {
		if n, ok := l.pos[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// has reports whether path was written in the file.
func (l *Lab) has(path string) bool {
	_, ok := l.pos[path]
	return ok
}
