package cmd

import "github.com/spf13/cobra"

func newInventoryCommand(g *Globals, discover discoverFunc) *cobra.Command {
	c := &cobra.Command{
		Use:   "inventory",
		Short: "Show the resolved inventory; import Vagrant and Ansible inventories and a swarm's nodes",
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
		Short: "Convert an inventory you already have (vagrant ssh-config, Ansible, a swarm's nodes) into overlab's",
	}
	c.AddCommand(
		newInventoryImportVagrantCommand(g, discover),
		newInventoryImportAnsibleCommand(g),
		newInventoryImportSwarmCommand(g),
	)
	return c
}
