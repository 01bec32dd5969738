package cmd

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory/importer"
)

type importAnsibleOptions struct {
	output       string
	managerGroup string
	workerGroup  string
}

func newInventoryImportAnsibleCommand(g *Globals) *cobra.Command {
	o := importAnsibleOptions{}
	c := &cobra.Command{
		Use:   "ansible FILE",
		Short: "Convert an Ansible inventory (INI, or YAML by extension) into an overlab inventory",
		Long: "Maps ansible_host, ansible_port, ansible_user and ansible_ssh_private_key_file; hosts of the managers\n" +
			"(or swarm_managers) group become managers, those of workers (or swarm_workers) workers; without a worker\n" +
			"group every other host is a worker. When ansible_host is not the lab address (a port forward), set\n" +
			"overlab_address on the host. Passwords, non-SSH connections and SSH arguments other than a jump host\n" +
			"are refused. Prints the inventory, or writes it with -o.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImportAnsible(cmd, g, o, args[0])
		},
	}
	c.Flags().StringVarP(&o.output, "output", "o", "", "write the inventory to FILE instead of standard output")
	c.Flags().StringVar(&o.managerGroup, "manager-group", "", "group whose hosts are swarm managers (default managers, else swarm_managers)")
	c.Flags().StringVar(&o.workerGroup, "worker-group", "", "group whose hosts are swarm workers (default workers, else swarm_workers)")
	return c
}

func runImportAnsible(cmd *cobra.Command, g *Globals, o importAnsibleOptions, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("reading Ansible inventory: %w", err)
	}
	defer f.Close()
	inv, err := importer.Ansible(f, file, importer.AnsibleOptions{ManagerGroup: o.managerGroup, WorkerGroup: o.workerGroup})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return writeImported(cmd, g, inv, importer.AnsibleHeader(file), o.output)
}
