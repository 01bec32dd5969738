package cmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/fanout"
)

func TestParallelBoundsEveryFanOutThroughTheContext(t *testing.T) {
	var out bytes.Buffer
	root := NewRoot(Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
	got := 0
	root.AddCommand(&cobra.Command{Use: "probe-limit", RunE: func(cmd *cobra.Command, _ []string) error {
		got = fanout.Limit(cmd.Context())
		return nil
	}})
	root.SetArgs([]string{"probe-limit", "--parallel", "3"})
	if err := root.Execute(); err != nil || got != 3 {
		t.Fatalf("limit %d (err %v), want 3 from --parallel", got, err)
	}
	if code := Execute([]string{"hosts", "--parallel", "0"}, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out}); code != 2 {
		t.Fatalf("--parallel 0: exit %d, want 2", code)
	}
}

// Every command that prints data offers the same three formats, table first.
func TestEveryFormatFlagOffersTableJSONYAML(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("format"); f != nil {
			seen++
			if f.DefValue != "table" || !strings.HasPrefix(f.Usage, "output format: table|json|yaml") {
				t.Errorf("%s --format: default %q, %q; want table|json|yaml", c.CommandPath(), f.DefValue, f.Usage)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}))
	if seen < 10 {
		t.Fatalf("only %d commands with --format", seen)
	}
}
