package cmd

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/overlab/overlab/inventory"
)

// inventoryPath is -i, else overlab.yaml, else the local provider's
// inventory when a local lab is up.
func (g *Globals) inventoryPath() string {
	if g.Inventory != "" {
		return g.Inventory
	}
	return inventory.DefaultPath()
}

// loadInventory loads, validates and resolves the inventory that every
// command works on. Errors name the file.
func (g *Globals) loadInventory() (*inventory.Inventory, []inventory.Host, error) {
	path := g.inventoryPath()
	inv, err := inventory.Load(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && g.Inventory == "" {
			return nil, nil, fmt.Errorf("no inventory: %s does not exist and no local lab is up; pass -i FILE, write %s (see docs/inventory.md), or run `overlab local up`: %w", path, path, err)
		}
		return nil, nil, fmt.Errorf("loading inventory: %w", err)
	}
	if err := inv.Validate(); err != nil {
		return nil, nil, err // already names the file, host and field
	}
	hosts, err := inv.Resolve()
	if err != nil {
		return nil, nil, fmt.Errorf("resolving inventory %s: %w", path, err)
	}
	return inv, hosts, nil
}
