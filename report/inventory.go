package report

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/overlab/overlab/inventory"
)

// Inventory prints the resolved hosts of the inventory read from source.
func Inventory(w io.Writer, hosts []inventory.Host, source string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tROLE\tSSH\tUSER\tPROXY JUMP\tIDENTITY")
	for _, h := range hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Address, dash(h.Role),
			h.DialHost()+":"+strconv.Itoa(h.Port), h.User, dash(h.ProxyJump), dash(h.IdentityFile))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nfrom %s, with defaults, OVERLAB_ environment and ~/.ssh/config applied\n", source)
	return err
}
