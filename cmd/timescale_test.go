package cmd

import (
	"testing"
	"time"
)

func TestScaledStretchesOnlyWhatNoFlagSet(t *testing.T) {
	g := &Globals{timeScale: 4, flagChanged: func(name string) bool { return name == "wait" }}
	for _, tc := range []struct {
		name string
		in   time.Duration
		want time.Duration
	}{
		{"timeout", time.Minute, 4 * time.Minute},
		{"probe-timeout", 2 * time.Second, 8 * time.Second},
		{"wait", time.Minute, time.Minute}, // given on the command line: as given
	} {
		if got := g.scaled(tc.name, tc.in); got != tc.want {
			t.Errorf("scaled(%s, %v) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
	if got := (&Globals{}).scaled("timeout", time.Minute); got != time.Minute {
		t.Errorf("without time_scale: %v", got)
	}
}
