package progress

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overlab/overlab/internal/syncbuf"
)

// fakeClock advances only when told; safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 19, 30, 12, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func scenario(p *Progress, c *fakeClock) {
	ph := p.Start("swarm")
	n1 := ph.Host("node1")
	n2 := ph.Host("node2")
	n3 := ph.Host("node3")
	c.Advance(120 * time.Millisecond)
	n1.Infof("init, advertising %s", "192.168.50.11")
	n1.Done(nil)
	c.Advance(180 * time.Millisecond)
	n2.Done(errors.New("join: node is already part of another swarm (use --force to make it leave)"))
	n3.Done(nil)
	n3.Done(errors.New("ignored: second Done"))
	c.Advance(1500 * time.Millisecond)
	ph.End(errors.New("1 host did not join"))

	net := p.Start("networks")
	net.Infof("overlab-overlay 10.20.0.0/24")
	c.Advance(65 * time.Second)
	net.End(nil)
	p.Summary("✗ up failed after %s", "1m07s")
}

func TestPlainOutput(t *testing.T) {
	tests := []struct {
		name      string
		verbosity int
		want      string
	}{
		{"normal", Normal, `
19:30:12.000 swarm …
19:30:12.120   ✓ swarm node1 120ms
19:30:12.300   ✗ swarm node2 300ms: join: node is already part of another swarm (use --force to make it leave)
19:30:12.300   ✓ swarm node3 300ms
19:30:13.800 ✗ swarm 1.80s (1 of 3 hosts failed): 1 host did not join
19:30:13.800 networks …
19:31:18.800 ✓ networks 1m05s
19:31:18.800 ✗ up failed after 1m07s
`},
		{"quiet", Quiet, `
19:30:12.300   ✗ swarm node2 300ms: join: node is already part of another swarm (use --force to make it leave)
19:30:13.800 ✗ swarm 1.80s (1 of 3 hosts failed): 1 host did not join
19:31:18.800 ✗ up failed after 1m07s
`},
		{"verbose", Verbose, `
19:30:12.000 swarm …
19:30:12.120   swarm node1: init, advertising 192.168.50.11
19:30:12.120   ✓ swarm node1 120ms
19:30:12.300   ✗ swarm node2 300ms: join: node is already part of another swarm (use --force to make it leave)
19:30:12.300   ✓ swarm node3 300ms
19:30:13.800 ✗ swarm 1.80s (1 of 3 hosts failed): 1 host did not join
19:30:13.800 networks …
19:30:13.800   networks: overlab-overlay 10.20.0.0/24
19:31:18.800 ✓ networks 1m05s
19:31:18.800 ✗ up failed after 1m07s
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := newClock()
			p := New(&buf, WithClock(c.Now), WithVerbosity(tc.verbosity))
			scenario(p, c)
			p.Close()
			if got, want := buf.String(), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPhaseWithoutHosts(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	p := New(&buf, WithClock(c.Now))
	ph := p.Start("probe image")
	c.Advance(40 * time.Millisecond)
	ph.End(nil)
	ph.End(errors.New("ignored"))
	want := "19:30:12.000 probe image …\n19:30:12.040 ✓ probe image 40ms\n"
	if buf.String() != want {
		t.Errorf("got:\n%s", buf.String())
	}
}

// Many hosts finishing at once must give whole lines, one per host.
func TestConcurrentHostsDoNotGarble(t *testing.T) {
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprintf("terminal=%v", term), func(t *testing.T) {
			var buf syncbuf.Buffer
			c := newClock()
			p := New(&buf, WithClock(c.Now), WithTerminal(term), WithTick(time.Millisecond))
			const n = 64
			ph := p.Start("probes")
			steps := make([]*Step, n)
			for i := range steps {
				steps[i] = ph.Host(fmt.Sprintf("node%02d", i))
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, s := range steps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					s.Infof("detail")
					if i%8 == 0 {
						s.Done(fmt.Errorf("host node%02d unreachable", i))
					} else {
						s.Done(nil)
					}
				}()
			}
			close(start)
			time.Sleep(5 * time.Millisecond) // let the spinner draw a few frames
			wg.Wait()
			ph.End(nil)
			p.Close()

			out := buf.String()
			if term {
				if !strings.Contains(out, "⠋ probes") && !strings.Contains(out, "probes ") {
					t.Error("no spinner line on a terminal")
				}
				if strings.Contains(out, "19:30:12.000") {
					t.Error("timestamps on a terminal")
				}
				// Drop the spinner: everything between a clear and the next newline
				// that is not itself a permanent line.
				out = regexp.MustCompile("\r\x1b\\[2K(?:[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏][^\r\n]*)?").ReplaceAllString(out, "")
			}
			lineRE := regexp.MustCompile(`^(19:30:12\.000 )?(probes …|  ✓ probes node\d\d 0ms|  ✗ probes node\d\d 0ms: host node\d\d unreachable|✗ probes 0ms \(8 of 64 hosts failed\))$`)
			seen := map[string]bool{}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			for _, l := range lines {
				if !lineRE.MatchString(l) {
					t.Errorf("garbled line %q", l)
				}
				seen[l] = true
			}
			hostLines := 0
			for l := range seen {
				if strings.Contains(l, "probes node") {
					hostLines++
				}
			}
			if hostLines != n {
				t.Errorf("%d distinct host lines, want %d", hostLines, n)
			}
		})
	}
}

func TestTerminalSpinnerIsCleared(t *testing.T) {
	var buf syncbuf.Buffer
	c := newClock()
	p := New(&buf, WithClock(c.Now), WithTerminal(true), WithTick(time.Hour))
	ph := p.Start("swarm")
	s := ph.Host("node1")
	if !strings.HasSuffix(buf.String(), "⠋ swarm 0/1 hosts 0ms") {
		t.Errorf("spinner line: %q", buf.String())
	}
	c.Advance(250 * time.Millisecond)
	s.Done(nil)
	ph.End(nil)
	p.Summary("✓ up")
	p.Close()
	want := "\r\x1b[2K⠋ swarm 0ms" +
		"\r\x1b[2K⠋ swarm 0/1 hosts 0ms" +
		"\r\x1b[2K  ✓ swarm node1 250ms\n" +
		"\r\x1b[2K⠋ swarm 1/1 hosts 250ms" +
		"\r\x1b[2K✓ swarm 250ms (1 host)\n" +
		"✓ up\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0ms", 999 * time.Millisecond: "999ms", 1240 * time.Millisecond: "1.24s", 65 * time.Second: "1m05s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
