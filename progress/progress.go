package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Verbosity levels, as set by -q and -v.
const (
	Quiet   = -1
	Normal  = 0
	Verbose = 1
)

// Progress writes phase and host lines to one writer.
type Progress struct {
	mu        sync.Mutex
	w         io.Writer
	term      bool
	verbosity int
	now       func() time.Time
	tick      time.Duration

	active  []*Phase
	frame   int
	drawn   bool // a spinner line is on screen and must be cleared first
	stop    chan struct{}
	stopped chan struct{}
}

// Option configures a Progress.
type Option func(*Progress)

// WithTerminal draws a spinner and drops timestamps; the caller decides,
// usually from whether the writer is a terminal.
func WithTerminal(on bool) Option { return func(p *Progress) { p.term = on } }

// WithVerbosity sets Quiet, Normal or Verbose (higher is Verbose too).
func WithVerbosity(v int) Option { return func(p *Progress) { p.verbosity = v } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(p *Progress) { p.now = now } }

// WithTick sets the spinner's frame interval.
func WithTick(d time.Duration) Option { return func(p *Progress) { p.tick = d } }

// New returns a Progress writing to w.
func New(w io.Writer, opts ...Option) *Progress {
	p := &Progress{w: w, now: time.Now, tick: 100 * time.Millisecond}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Phase is one step of a command (facts, swarm, networks, probes…).
type Phase struct {
	p      *Progress
	name   string
	start  time.Time
	hosts  int
	done   int
	failed int
	ended  bool
}

// Step is one host's part of a phase.
type Step struct {
	ph    *Phase
	host  string
	start time.Time
	done  bool
}

// Start begins a phase.
func (p *Progress) Start(name string) *Phase {
	p.mu.Lock()
	defer p.mu.Unlock()
	ph := &Phase{p: p, name: name, start: p.now()}
	if p.verbosity >= Normal && !p.term {
		p.line(name + " …")
	}
	p.active = append(p.active, ph)
	if p.term && p.stop == nil {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.spin(p.stop, p.stopped)
	}
	p.redraw()
	return ph
}

// Host begins the phase's step on one host.
func (ph *Phase) Host(name string) *Step {
	ph.p.mu.Lock()
	defer ph.p.mu.Unlock()
	ph.hosts++
	ph.p.redraw()
	return &Step{ph: ph, host: name, start: ph.p.now()}
}

// Infof prints a detail line of the phase, only when verbose.
func (ph *Phase) Infof(format string, args ...any) {
	ph.p.mu.Lock()
	defer ph.p.mu.Unlock()
	if ph.p.verbosity >= Verbose {
		ph.p.line("  " + ph.name + ": " + fmt.Sprintf(format, args...))
	}
}

// Infof prints a detail line of the host's step, only when verbose.
func (s *Step) Infof(format string, args ...any) {
	p := s.ph.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verbosity >= Verbose {
		p.line("  " + s.ph.name + " " + s.host + ": " + fmt.Sprintf(format, args...))
	}
}

// Done ends the host's step: ✓ or ✗ with its duration and error. A second
// call is ignored.
func (s *Step) Done(err error) {
	p := s.ph.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.done {
		return
	}
	s.done = true
	s.ph.done++
	d := p.now().Sub(s.start)
	if err != nil {
		s.ph.failed++
		p.line(fmt.Sprintf("  ✗ %s %s %s: %v", s.ph.name, s.host, formatDuration(d), err))
	} else if p.verbosity >= Normal {
		p.line(fmt.Sprintf("  ✓ %s %s %s", s.ph.name, s.host, formatDuration(d)))
	}
	p.redraw()
}

// End ends the phase: ✓ or ✗ with its duration, how many hosts failed, and
// the error. A second call is ignored.
func (ph *Phase) End(err error) {
	p := ph.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if ph.ended {
		return
	}
	ph.ended = true
	for i, a := range p.active {
		if a == ph {
			p.active = append(p.active[:i], p.active[i+1:]...)
			break
		}
	}
	d := formatDuration(p.now().Sub(ph.start))
	hosts := ""
	switch {
	case ph.failed > 0:
		hosts = fmt.Sprintf(" (%d of %d hosts failed)", ph.failed, ph.hosts)
	case ph.hosts == 1:
		hosts = " (1 host)"
	case ph.hosts > 1:
		hosts = fmt.Sprintf(" (%d hosts)", ph.hosts)
	}
	if err != nil {
		p.line(fmt.Sprintf("✗ %s %s%s: %v", ph.name, d, hosts, err))
	} else if ph.failed > 0 || p.verbosity >= Normal {
		mark := "✓"
		if ph.failed > 0 {
			mark = "✗"
		}
		p.line(fmt.Sprintf("%s %s %s%s", mark, ph.name, d, hosts))
	}
	if len(p.active) == 0 {
		p.stopSpinner()
	}
	p.redraw()
}

// Summary prints the command's closing line; printed even when quiet.
func (p *Progress) Summary(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(fmt.Sprintf(format, args...))
	p.redraw()
}

// Close stops the spinner and clears its line. Phases still running are
// left as they are.
func (p *Progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinner()
	p.clear()
}

// stopSpinner ends the spinner goroutine; called with mu held, so it must
// not wait for a goroutine that may be waiting for mu.
func (p *Progress) stopSpinner() {
	if p.stop != nil {
		close(p.stop)
		p.stop, p.stopped = nil, nil
	}
}

func (p *Progress) spin(stop, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(p.tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			select {
			case <-stop: // stopped while waiting for the lock
				p.mu.Unlock()
				return
			default:
			}
			p.frame++
			p.redraw()
			p.mu.Unlock()
		}
	}
}

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// line prints one permanent line, clearing the spinner first; mu held.
func (p *Progress) line(s string) {
	p.clear()
	if !p.term {
		s = p.now().Format("15:04:05.000 ") + s
	}
	fmt.Fprintln(p.w, s)
}

// clear erases the spinner line; mu held.
func (p *Progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
		p.drawn = false
	}
}

// redraw shows the running phases on the spinner line; mu held.
func (p *Progress) redraw() {
	if !p.term || len(p.active) == 0 || p.verbosity < Normal {
		return
	}
	parts := make([]string, 0, len(p.active))
	for _, ph := range p.active {
		s := ph.name
		if ph.hosts > 0 {
			s += fmt.Sprintf(" %d/%d hosts", ph.done, ph.hosts)
		}
		parts = append(parts, s+" "+formatDuration(p.now().Sub(ph.start)))
	}
	fmt.Fprint(p.w, "\r\x1b[2K"+frames[p.frame%len(frames)]+" "+strings.Join(parts, " · "))
	p.drawn = true
}

// formatDuration: 310ms, 1.24s, 1m05s.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}
