package log

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Logger is what packages accept. V(0) is normal progress, V(1) detail.
type Logger interface {
	Warnf(format string, args ...any)
	Errorf(format string, args ...any)
	V(level int) InfoLogger
}

// InfoLogger writes at one verbosity level.
type InfoLogger interface {
	Infof(format string, args ...any)
	Enabled() bool
}

// NoOp discards everything; the default when no logger is given.
type NoOp struct{}

func (NoOp) Warnf(string, ...any)  {}
func (NoOp) Errorf(string, ...any) {}
func (NoOp) V(int) InfoLogger      { return NoOp{} }
func (NoOp) Infof(string, ...any)  {}
func (NoOp) Enabled() bool         { return false }

// Writer logs plain lines to an io.Writer; safe for concurrent use.
type Writer struct {
	mu        sync.Mutex
	w         io.Writer
	verbosity int
	stamps    bool
	now       func() time.Time
}

// Option configures a Writer.
type Option func(*Writer)

// WithTimestamps prefixes each line with the wall-clock time (non-terminal output).
func WithTimestamps(on bool) Option { return func(l *Writer) { l.stamps = on } }

// New returns a Writer that prints levels up to verbosity; -1 prints only
// warnings and errors.
func New(w io.Writer, verbosity int, opts ...Option) *Writer {
	l := &Writer{w: w, verbosity: verbosity, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l
}

func (l *Writer) print(prefix, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	msg = strings.TrimRight(msg, "\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stamps {
		fmt.Fprint(l.w, l.now().Format("15:04:05.000 "))
	}
	fmt.Fprintln(l.w, prefix+msg)
}

func (l *Writer) Warnf(format string, args ...any)  { l.print("WARNING: ", format, args...) }
func (l *Writer) Errorf(format string, args ...any) { l.print("ERROR: ", format, args...) }

// V returns the logger for a level; disabled levels discard.
func (l *Writer) V(level int) InfoLogger {
	if level > l.verbosity {
		return NoOp{}
	}
	return info{l}
}

type info struct{ l *Writer }

func (i info) Infof(format string, args ...any) { i.l.print("", format, args...) }
func (i info) Enabled() bool                    { return true }
