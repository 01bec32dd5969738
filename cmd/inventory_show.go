package cmd

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory"
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
			"then built-in defaults. Key files are shown by path, never by content.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInventoryShow(cmd, g, o)
		},
	}
	c.Flags().StringVar(&o.format, "format", "yaml", "output format: yaml or json")
	return c
}

func runInventoryShow(cmd *cobra.Command, g *Globals, o inventoryShowOptions) error {
	if o.format != "yaml" && o.format != "json" {
		return couldNotRunf("--format %q: use yaml or json", o.format)
	}
	inv, hosts, err := g.loadInventory()
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Source string           `json:"source"`
			Hosts  []inventory.Host `json:"hosts"`
		}{inv.Source, hosts})
	}
	return inventory.WriteYAML(out, &inventory.Inventory{Hosts: hosts},
		fmt.Sprintf("%s, resolved: defaults, OVERLAB_ environment and ~/.ssh/config applied.", inv.Source))
}
