package cmd

import "github.com/spf13/cobra"

// newLabCommand groups the lab subcommands (list, show; run is the engine's).
func newLabCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "lab",
		Short: "Labs as code: the classic Docker networking labs, each with its expectations",
		Long: "A lab is a YAML file of networks, workloads and expectations (what reaches what, and why).\n" +
			"Built-in labs retell the classic Docker networking walkthrough; see docs/labs.md for the format.",
	}
	c.AddCommand(
		newLabListCommand(g),
		newLabShowCommand(g),
		newLabRunCommand(g),
	)
	return c
}
