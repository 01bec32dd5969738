package cmd

import "github.com/spf13/cobra"

func newInventoryCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "inventory",
		Short: "Show the resolved inventory; import Vagrant and Ansible inventories",
	}
	c.AddCommand(
		newInventoryShowCommand(g),
		newInventoryImportCommand(g),
	)
	return c
}

func newInventoryImportCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "import",
		Short: "Convert an inventory you already have (vagrant ssh-config, Ansible) into overlab's",
	}
	c.AddCommand(
		newInventoryImportVagrantCommand(g),
		newInventoryImportAnsibleCommand(g),
	)
	return c
}
