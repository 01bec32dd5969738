package cmd

import "github.com/spf13/cobra"

func newInventoryCommand(g *Globals, discover discoverFunc) *cobra.Command {
	c := &cobra.Command{
		Use:   "inventory",
		Short: "Show the resolved inventory; import Vagrant and Ansible inventories",
	}
	c.AddCommand(
		newInventoryShowCommand(g),
		newInventoryImportCommand(g, discover),
	)
	return c
}

func newInventoryImportCommand(g *Globals, discover discoverFunc) *cobra.Command {
	c := &cobra.Command{
		Use:   "import",
		Short: "Convert an inventory you already have (vagrant ssh-config, Ansible) into overlab's",
	}
	c.AddCommand(
		newInventoryImportVagrantCommand(g, discover),
		newInventoryImportAnsibleCommand(g),
	)
	return c
}
