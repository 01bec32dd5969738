package check

import (
	"sync"
	"time"

	"github.com/overlab/overlab/probe"
)

// Authority is a token and the probe containers that took it. A check
// makes its own; a watch keeps one for its life (runner.Runner does), so
// that a probe overlab cannot reach for a while (SSH to its host lost)
// still answers the others' proven requests with the token it took before:
// the pairs to it then show the network, not overlab's lost connection.
type Authority struct {
	tok  probe.Token
	mu   sync.Mutex
	held map[string]time.Time // container ID -> when it last took the token
	now  func() time.Time
}

// NewAuthority makes an authority with a fresh token.
func NewAuthority() (*Authority, error) {
	tok, err := probe.NewToken()
	if err != nil {
		return nil, err
	}
	return &Authority{tok: tok, held: map[string]time.Time{}, now: time.Now}, nil
}

// took records that the container took the token now.
func (a *Authority) took(containerID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.held[containerID] = a.now()
}

// holds reports whether the container took the token within TokenTTL, so
// that it still answers with it.
func (a *Authority) holds(containerID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.held[containerID]
	return ok && a.now().Sub(t) < TokenTTL
}
