package cmd

import (
	"encoding/json"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/probe"
)

// newProbePMTUCommand measures a path MTU for `overlab doctor`, which runs it
// on a lab host against another host's probe listener.
func newProbePMTUCommand() *cobra.Command {
	var (
		addr  string
		max   int
		tries int
		wait  time.Duration
	)
	c := &cobra.Command{
		Use:   "pmtu",
		Short: "Largest don't-fragment UDP packet that reaches a probe's UDP echo; prints {\"mtu\": N}",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mtu, err := probe.PathMTU(cmd.Context(), addr, max, tries, wait)
			out := map[string]any{"mtu": mtu}
			if err != nil {
				out["error"] = err.Error()
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
		},
	}
	c.Flags().StringVar(&addr, "address", "", "HOST:PORT of a probe's UDP echo")
	c.Flags().IntVar(&max, "max", 1500, "largest packet to try (the local interface's MTU)")
	c.Flags().IntVar(&tries, "tries", 2, "datagrams per size")
	c.Flags().DurationVar(&wait, "wait", 300*time.Millisecond, "wait for each reply")
	return c
}
