//go:build linux

package sessiontest

import (
	"context"
	"testing"
	"time"

	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/session"
)

// Config is the session configuration of a test lab: its inventory, the
// user's ~/.ssh/config left out, and timeouts for local hosts.
func Config(l *labtest.Lab) session.Config {
	return session.Config{
		Inventory:       l.Inventory,
		Parallel:        16,
		ConnectTimeout:  5 * time.Second,
		OpTimeout:       60 * time.Second,
		IgnoreSSHConfig: true,
		Logger:          log.NoOp{},
	}
}

// Open opens a session on every host of l, failing t unless each answers;
// it is closed when t ends.
func Open(t testing.TB, l *labtest.Lab, opts ...session.OpenOption) *session.Session {
	t.Helper()
	s, err := session.Open(context.Background(), Config(l), append([]session.OpenOption{session.RequireAll()}, opts...)...)
	if err != nil {
		t.Fatalf("session on test lab %s: %v", l.Name, err)
	}
	t.Cleanup(s.Close)
	return s
}
