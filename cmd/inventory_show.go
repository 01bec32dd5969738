package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/report"
)

type inventoryShowOptions struct {
	format string
}

func newInventoryShowCommand(g *Globals) *cobra.Command {
	o := inventoryShowOptions{}
	c := &cobra.Command{
		Use:   "show",
		Short: "Print the inventory as overlab will use it: defaults, OVERLAB_ environment and ~/.ssh/config applied",
		Long: "Print every host with all its connection fields filled in, in the order of precedence: the host's own\n" +
			"field, the inventory's defaults (or OVERLAB_USER, OVERLAB_PORT, ... in the environment), ~/.ssh/config,\n" +
			"then built-in defaults. Key files are shown by path, never by content. JSON and YAML print an\n" +
			"inventory that overlab can load as it is.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInventoryShow(cmd, g, o)
		},
	}
	output.AddFormatFlag(c.Flags(), &o.format)
	return c
}

func runInventoryShow(cmd *cobra.Command, g *Globals, o inventoryShowOptions) error {
	if err := output.CheckFormat(o.format); err != nil {
		return couldNotRun(err)
	}
	s, err := g.loadInventory()
	if err != nil {
		return err
	}
	inv, hosts := s.Inventory, s.Hosts
	out := cmd.OutOrStdout()
	resolved := &inventory.Inventory{Hosts: hosts}
	if o.format == output.YAML { // the same document, with where it came from as a comment
		return inventory.WriteYAML(out, resolved,
			fmt.Sprintf("%s, resolved: defaults, OVERLAB_ environment and ~/.ssh/config applied.", inv.Source))
	}
	return output.Print(out, o.format, resolved, func(w io.Writer) error { return report.Inventory(w, hosts, inv.Source) })
}
