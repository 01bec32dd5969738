package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory"
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
		err = writeFileAtomic(output, data, 0o644)
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

// writeFileAtomic replaces path only once the new content is complete.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
