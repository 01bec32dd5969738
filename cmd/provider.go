package cmd

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
)

// hostProvider is what the `local` and `vagrant` commands drive: a set of
// lab hosts that comes up with an inventory and goes down leaving nothing.
// Each command binds its own parameters (lab name, Vagrantfile, node
// count) when it builds one.
type hostProvider interface {
	Up(ctx context.Context) (inventoryPath string, err error)
	Down(ctx context.Context) error
	Status(ctx context.Context) ([]providerHost, error)
	Inventory() string
}

// providerHost is one host as its provider sees it.
type providerHost struct {
	Name, Address, State string
	Detail               string // what else the provider knows (engine, memory)
	Up                   bool
}

// printProviderStatus prints one line per host and fails (exit 1) when
// some host is not up.
func printProviderStatus(w io.Writer, hosts []providerHost, what string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tSTATE\tDETAIL")
	down := 0
	for _, h := range hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, h.Address, h.State, h.Detail)
		if !h.Up {
			down++
		}
	}
	tw.Flush()
	if down > 0 {
		return notAsExpected(fmt.Errorf("%d of %d hosts of %s are not up", down, len(hosts), what))
	}
	return nil
}
