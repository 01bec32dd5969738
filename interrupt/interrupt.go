package interrupt

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type hardKey struct{}

// NotifyContext returns a context that the first SIGINT or SIGTERM ends;
// a second one ends Hard(ctx) as well. stop releases the signals.
func NotifyContext(parent context.Context) (context.Context, func()) {
	soft, cancelSoft := context.WithCancel(parent)
	hard, cancelHard := context.WithCancel(context.Background())
	ctx := context.WithValue(soft, hardKey{}, hard)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			select {
			case <-sigs:
				if n == 0 {
					cancelSoft()
					heard.note()
					continue
				}
				cancelHard()
				heard.note()
				return
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancelSoft()
			cancelHard()
		})
	}
}

// Hard is the context that a second signal ends (one that never ends
// outside NotifyContext).
func Hard(ctx context.Context) context.Context {
	if h, ok := ctx.Value(hardKey{}).(context.Context); ok {
		return h
	}
	return context.Background()
}

// Finish returns a context for a step that must finish once begun: ctx
// ending (the first Ctrl-C) does not end it; the second signal does, and so
// does bound once ctx has ended. announce is called once, when ctx ends
// while the step still runs, with the bound, to say what is being finished
// and how to stop at once. cancel releases it; call it when the step is done.
func Finish(ctx context.Context, bound time.Duration, announce func(time.Duration)) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	hard := Hard(ctx)
	go func() {
		select {
		case <-fctx.Done():
			return
		case <-hard.Done():
			cancel()
			return
		case <-ctx.Done():
		}
		if announce != nil {
			announce(bound)
		}
		t := time.NewTimer(bound)
		defer t.Stop()
		select {
		case <-fctx.Done():
		case <-hard.Done():
		case <-t.C:
		}
		cancel()
	}()
	return fctx, cancel
}

// PointEnv names the step at which Point sends this process SIGINT, for
// tests: "swarm.init" once, "swarm.init:2" twice (20 ms apart: the second
// is the Ctrl-C again that stops at once).
const PointEnv = "OVERLAB_TEST_INTERRUPT"

// Point marks a named step. When PointEnv names it, the process sends
// itself SIGINT there, as a person's Ctrl-C at that instant would (once per
// process and step).
func Point(name string) {
	spec := os.Getenv(PointEnv)
	if spec == "" {
		return
	}
	step, count, _ := strings.Cut(spec, ":")
	if step != name {
		return
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		n = 1
	}
	fired.Do(func() {
		// The step goes on only once the signal has ended the context: a
		// Ctrl-C at this point, not at some later one (up's last steps take
		// milliseconds, and an up that had finished exited 0).
		next := heard.next()
		signalSelf()
		select {
		case <-next:
		case <-time.After(2 * time.Second):
		}
		go func() {
			for i := 1; i < n; i++ {
				time.Sleep(20 * time.Millisecond)
				signalSelf()
			}
		}()
	})
}

func signalSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Signal(os.Interrupt)
	}
}

var (
	fired sync.Once
	heard = &signals{ch: make(chan struct{})}
)

// signals lets Point wait until NotifyContext has handled its signal.
type signals struct {
	mu sync.Mutex
	ch chan struct{} // closed at the next signal handled
}

func (s *signals) next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signals) note() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}
