package cmd

import "github.com/spf13/cobra"

func newLocalCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{Use: "local", Short: "Local lab hosts: real Docker hosts in network namespaces"}
	return c
}
