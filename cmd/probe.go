package cmd

import (
	"github.com/spf13/cobra"

	"github.com/overlab/overlab/probe"
)

// newProbeCommand is the program inside the probe containers; people do not
// call it, so it is hidden. Its arguments are probe.Main's, the same as the
// dedicated overlab-probe binary's.
func newProbeCommand(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:                "probe serve|run [flags]",
		Short:              "The probe that runs inside the lab's containers",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			s := probe.Streams{In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), Err: g.streams.ErrOut}
			if code := probe.Main(cmd.Context(), args, s); code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
}
