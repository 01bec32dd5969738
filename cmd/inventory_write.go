package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/safefile"
)

// writeImported prints inv (or writes it to output) and warns about what
// validation would refuse, since the file may be meant for another machine.
func writeImported(cmd *cobra.Command, g *Globals, inv *inventory.Inventory, header, output string) error {
	data, err := inventory.MarshalYAML(inv, header)
	if err != nil {
		return err
	}
	if output == "" {
		_, err = cmd.OutOrStdout().Write(data)
		inv.Source = "imported inventory"
	} else {
		err = safefile.WriteFile(output, data, 0o644)
		inv.Source = output
		if err == nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote inventory of %d hosts to %s\n", len(inv.Hosts), output)
		}
	}
	if err != nil {
		return err
	}
	if verr := inv.Validate(); verr != nil {
		g.Logger().Warnf("the imported inventory does not validate here (fix it before use): %v", verr)
	}
	return nil
}
