package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/provider"
	"github.com/overlab/overlab/report"
)

// providerDownCommand is every provider's `down`; open binds the provider
// to the command's flags once they are parsed.
func providerDownCommand(short string, open func() (provider.Hosts, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := open()
			if err != nil {
				return couldNotRun(err)
			}
			return p.Down(cmd.Context())
		},
	}
}

// providerStatusCommand is every provider's `status`: one line per host,
// exit 1 when some host is not up. what names the hosts in that error.
func providerStatusCommand(short string, open func() (provider.Hosts, error), what func() string) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := open()
			if err != nil {
				return couldNotRun(err)
			}
			hosts, err := p.Status(cmd.Context())
			if err != nil {
				return err
			}
			return printProviderStatus(cmd.OutOrStdout(), hosts, what())
		},
	}
}

// printProviderStatus prints one line per host and fails (exit 1) when
// some host is not up.
func printProviderStatus(w io.Writer, hosts []provider.Host, what string) error {
	if err := report.ProviderHosts(w, hosts); err != nil {
		return err
	}
	down := 0
	for _, h := range hosts {
		if !h.Up {
			down++
		}
	}
	if down > 0 {
		return notAsExpected(fmt.Errorf("%d of %d hosts of %s are not up", down, len(hosts), what))
	}
	return nil
}
