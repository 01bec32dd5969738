package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestExitCodeHasOneMeaningPerKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"probes not as expected", notAsExpected(nil), 1},
		{"regression, wrapped", fmt.Errorf("diff: %w", notAsExpected(errors.New("2 regressed"))), 1},
		{"could not run", couldNotRun(errors.New("no inventory")), 2},
		{"any other error could not run", errors.New("connection refused"), 2},
		{"a code is kept when wrapped again", couldNotRun(notAsExpected(nil)), 1},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"diff"},                // missing arguments: not "regressed"
		{"diff", "a", "b", "c"}, // too many
		{"check", "--no-such-flag"},
		{"no-such-command"},
	} {
		var out, errOut bytes.Buffer
		code := Execute(args, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		if code != 2 || !strings.Contains(errOut.String(), "ERROR: ") {
			t.Errorf("overlab %s: exit %d, stderr %q; want 2 and the reason", strings.Join(args, " "), code, errOut.String())
		}
	}
}
