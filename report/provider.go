package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/overlab/overlab/provider"
)

// ProviderHosts prints one line per host of a provider: `local status`,
// `vagrant status`.
func ProviderHosts(w io.Writer, hosts []provider.Host) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tSTATE\tDETAIL")
	for _, h := range hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, h.Address, h.State, h.Detail)
	}
	return tw.Flush()
}
