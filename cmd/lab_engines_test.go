package cmd

import (
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/golden"
)

// TestLabShowEnginesGolden: lab show prints a lab's rows with their engine
// ranges and families, its routes and notes; --commands --engine renders
// the rows, workloads and routes of one generation.
func TestLabShowEnginesGolden(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"lab/show-direct-routing.golden", []string{"lab", "show", "direct-routing"}},
		{"lab/show-ipv6.golden", []string{"lab", "show", "ipv6"}},
		{"lab/commands-direct-routing-28.5.golden", []string{"lab", "show", "direct-routing", "--commands", "--engine", "28.5"}},
		{"lab/commands-direct-routing-20.10.golden", []string{"lab", "show", "direct-routing", "--commands", "--engine", "20.10"}},
		{"lab/commands-ipv6-28.5.golden", []string{"lab", "show", "ipv6", "--commands", "--engine", "28.5"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			out, errOut, code := runOverlab(t, c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden.Assert(t, c.golden, []byte(out))
		})
	}
	_, errOut, code := runOverlab(t, "lab", "show", "ipv6", "--commands", "--engine", "latest")
	if code != 2 || !strings.Contains(errOut, `--engine: "latest" is not an engine version`) {
		t.Errorf("--engine latest: exit %d, %q", code, errOut)
	}
}
