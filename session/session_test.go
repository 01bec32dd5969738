package session

import (
	"testing"
	"time"

	"github.com/overlab/overlab/inventory"
)

func TestScaledStretchesOnlyWhatNoFlagSet(t *testing.T) {
	s := &Session{cfg: Config{Explicit: func(name string) bool { return name == "wait" }},
		Inventory: &inventory.Inventory{Defaults: inventory.Defaults{TimeScale: 4}}}
	for _, tc := range []struct {
		name string
		in   time.Duration
		want time.Duration
	}{
		{"timeout", time.Minute, 4 * time.Minute},
		{"probe-timeout", 2 * time.Second, 8 * time.Second},
		{"wait", time.Minute, time.Minute}, // given on the command line: as given
	} {
		if got := s.Scaled(tc.name, tc.in); got != tc.want {
			t.Errorf("Scaled(%s, %v) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
	if got := (&Session{Inventory: &inventory.Inventory{}}).Scaled("timeout", time.Minute); got != time.Minute {
		t.Errorf("without time_scale: %v", got)
	}
}

func TestOnlyNamesTheUnknownHost(t *testing.T) {
	s := &Session{path: "lab.yaml", Hosts: []inventory.Host{{Name: "node1"}, {Name: "node2"}}}
	hs, err := s.only([]string{"node2"})
	if err != nil || len(hs) != 1 || hs[0].Name != "node2" {
		t.Fatalf("only(node2) = %v, %v", hs, err)
	}
	if _, err := s.only([]string{"node9"}); err == nil || err.Error() != `no host "node9" in the inventory lab.yaml (it has: node1, node2)` {
		t.Errorf("unknown host: %v", err)
	}
}
