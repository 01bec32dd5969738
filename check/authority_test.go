package check

import (
	"testing"
	"time"
)

// A probe that took the token holds it for TokenTTL after its last take,
// and no longer: past that, an install that fails refuses it again.
func TestAuthorityHoldsForTheTTL(t *testing.T) {
	a, err := NewAuthority()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	if a.holds("c1") {
		t.Fatal("holds a token it never took")
	}
	a.took("c1")
	for _, tc := range []struct {
		after time.Duration
		want  bool
	}{{0, true}, {TokenTTL - time.Second, true}, {TokenTTL, false}} {
		a.now = func() time.Time { return now.Add(tc.after) }
		if got := a.holds("c1"); got != tc.want {
			t.Errorf("%v after taking it: holds %v, want %v", tc.after, got, tc.want)
		}
	}
	if a.holds("c2") {
		t.Error("another container holds the token")
	}
}
