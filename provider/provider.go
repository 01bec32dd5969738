package provider

import "context"

// Hosts is one set of lab hosts, bound to its parameters (lab name,
// Vagrantfile, node count) when it is made.
type Hosts interface {
	// Up creates the hosts and returns the path of their inventory.
	Up(ctx context.Context) (inventoryPath string, err error)
	// Down removes everything of the hosts, and is safe to repeat.
	Down(ctx context.Context) error
	// Status says how each host is.
	Status(ctx context.Context) ([]Host, error)
	// Inventory is where the hosts' inventory is (or would be) written.
	Inventory() string
}

// Host is one host as its provider sees it.
type Host struct {
	Name, Address, State string
	Detail               string // what else the provider knows (engine, memory)
	Up                   bool
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "down"
}
