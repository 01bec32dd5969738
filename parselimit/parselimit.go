package parselimit

import (
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Limits of every document overlab reads. A lab file or an inventory of a
// hundred hosts is a few kilobytes, tens of levels deep at most, and a few
// thousand nodes.
const (
	MaxBytes = 1 << 20 // 1 MiB
	MaxDepth = 64
	MaxNodes = 100_000 // YAML nodes, aliases expanded
)

// ErrTooLarge is the error of a document larger than MaxBytes.
var ErrTooLarge = fmt.Errorf("larger than %d KiB, the most overlab reads (lab files and inventories are a few KiB)", MaxBytes>>10)

// ReadFile reads at most MaxBytes of path; a larger file (or a device that
// never ends) is ErrTooLarge.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// NewReader reads r until it ends or MaxBytes have been read, then fails
// with ErrTooLarge instead of truncating.
func NewReader(r io.Reader) io.Reader { return &limited{r: r, left: MaxBytes} }

type limited struct {
	r    io.Reader
	left int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a document of exactly MaxBytes from a larger one.
		var b [1]byte
		if n, err := l.r.Read(b[:]); n > 0 {
			return 0, ErrTooLarge
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// Error is a limit a document goes over, at a line (0 when unknown).
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// CheckNode walks n as a decoder will, following aliases, and fails when it
// nests deeper than MaxDepth or expands to more than MaxNodes nodes. It
// stops at the first limit, so it costs at most MaxNodes steps.
func CheckNode(n *yaml.Node) error {
	w := walker{}
	return w.walk(n, 0)
}

type walker struct{ nodes int }

func (w *walker) walk(n *yaml.Node, depth int) error {
	if n == nil {
		return nil
	}
	if depth > MaxDepth {
		return &Error{Line: n.Line, Msg: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
	}
	if w.nodes++; w.nodes > MaxNodes {
		return &Error{Line: n.Line, Msg: fmt.Sprintf("the document expands to more than %d YAML nodes (through aliases: *name repeats what &name marks); write it out plainly", MaxNodes)}
	}
	if n.Kind == yaml.AliasNode {
		// An alias inside what it names would loop for ever.
		return w.walk(n.Alias, depth+1)
	}
	for _, c := range n.Content {
		if err := w.walk(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// CheckBrackets fails when a TOML or JSON document nests brackets or braces
// deeper than MaxDepth, without parsing it (the TOML parser has no depth
// limit of its own). Strings and comments are skipped; the line of the
// first bracket too deep is given.
func CheckBrackets(data []byte) error {
	depth, line := 0, 1
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i--
		case '"', '\'':
			j, lines, err := skipString(data, i)
			if err != nil {
				return nil // the parser says what is wrong with it
			}
			i, line = j, line+lines
		case '[', '{':
			if depth++; depth > MaxDepth {
				return &Error{Line: line, Msg: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
			}
		case ']', '}':
			depth = max(0, depth-1)
		}
	}
	return nil
}

// skipString returns the index of the last byte of the string that starts
// at i (basic or literal, single- or triple-quoted) and the newlines in it.
func skipString(data []byte, i int) (int, int, error) {
	q := data[i]
	triple := i+2 < len(data) && data[i+1] == q && data[i+2] == q
	lines := 0
	j := i + 1
	if triple {
		j = i + 3
	}
	for ; j < len(data); j++ {
		switch data[j] {
		case '\n':
			if !triple {
				return 0, 0, errors.New("newline in a string")
			}
			lines++
		case '\\':
			if q == '"' {
				j++
				if j < len(data) && data[j] == '\n' {
					lines++
				}
			}
		case q:
			if !triple {
				return j, lines, nil
			}
			if j+2 < len(data) && data[j+1] == q && data[j+2] == q {
				return j + 2, lines, nil
			}
		}
	}
	return 0, 0, errors.New("unterminated string")
}
