package cmd

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/inventory/importer"
	"github.com/overlab/overlab/vagrant"
)

type importVagrantOptions struct {
	output     string
	labSubnet  string
	fromPlan   bool
	knownHosts string
}

func newInventoryImportVagrantCommand(g *Globals, discover discoverFunc) *cobra.Command {
	o := importVagrantOptions{}
	c := &cobra.Command{
		Use:   "vagrant [FILE|-]",
		Short: "Convert saved `vagrant ssh-config` output into an overlab inventory",
		Long: "SSH goes where ssh-config says (127.0.0.1 and the forwarded port, or libvirt's management address), as\n" +
			"the user it names with the per-VM private key. ssh-config does not tell the lab address: overlab asks\n" +
			"each VM over SSH for its one address inside --lab-subnet (recording host keys on first contact in the\n" +
			"lab's own known_hosts file), or with --from-plan takes node i at 192.168.56.(10+i) as overlab's\n" +
			"Vagrantfile lays out. The first machine (node1 when present) is the manager. Reads standard input when\n" +
			"FILE is - or missing.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := "-"
			if len(args) == 1 {
				file = args[0]
			}
			return runImportVagrant(cmd, g, o, file, discover)
		},
	}
	c.Flags().StringVarP(&o.output, "output", "o", "", "write the inventory to FILE instead of standard output")
	c.Flags().StringVar(&o.labSubnet, "lab-subnet", importer.VagrantLabSubnet.String(), "the lab (private) network, where each VM's lab address is found")
	c.Flags().BoolVar(&o.fromPlan, "from-plan", false, "take lab addresses from overlab's Vagrantfile plan (node i at 192.168.56.(10+i)) instead of asking the VMs")
	c.Flags().StringVar(&o.knownHosts, "known-hosts", "", "the lab's known_hosts file (default .overlab/known_hosts next to the output)")
	return c
}

func runImportVagrant(cmd *cobra.Command, g *Globals, o importVagrantOptions, file string, discover discoverFunc) error {
	subnet, err := netip.ParsePrefix(o.labSubnet)
	if err != nil {
		return couldNotRunf("--lab-subnet %q: %w", o.labSubnet, err)
	}
	var r io.Reader = cmd.InOrStdin()
	name := "standard input"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("reading vagrant ssh-config output: %w", err)
		}
		defer f.Close()
		r, name = f, file
	}
	machines, err := importer.ParseVagrantSSHConfig(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	kh := o.knownHosts
	if kh == "" {
		kh = vagrant.KnownHostsIn(filepath.Dir(o.output))
	}
	if kh, err = filepath.Abs(kh); err != nil {
		return err
	}

	var addrs map[string]string
	if o.fromPlan {
		addrs = importer.VagrantPlan(len(machines))
	} else {
		pre := vagrantPreInventory(machines, kh)
		fmt.Fprintf(cmd.ErrOrStderr(), "asking %d VMs over SSH for their address inside %s; their host keys are trusted on first contact and recorded in %s (that file only)\n", len(machines), subnet, kh)
		addrs, err = discover(cmd.Context(), g, pre, subnet)
		if err != nil {
			return fmt.Errorf("finding the lab addresses: %w", err)
		}
	}
	inv, err := importer.FromVagrant(machines, importer.VagrantOptions{Addresses: addrs, KnownHosts: kh})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return writeImported(cmd, g, inv, importer.VagrantHeader, o.output)
}

// vagrantPreInventory is what SSH needs before the lab addresses are known.
func vagrantPreInventory(machines []importer.VagrantMachine, knownHosts string) *inventory.Inventory {
	inv := &inventory.Inventory{Defaults: inventory.Defaults{KnownHosts: knownHosts}}
	for _, m := range machines {
		inv.Hosts = append(inv.Hosts, inventory.Host{
			Name: m.Name, SSHHost: m.HostName, Port: m.Port, User: m.User, IdentityFile: m.IdentityFile,
		})
	}
	return inv
}
