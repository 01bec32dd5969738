package cmd

import (
	"errors"
	"runtime"

	"github.com/spf13/cobra"
)

// errLocalNeedsLinux is what `overlab local ...` says on a system other
// than Linux, in one line.
var errLocalNeedsLinux = errors.New("overlab local needs Linux (its hosts are network namespaces of this machine's kernel): on " +
	runtime.GOOS + " make lab hosts as VMs with `overlab vagrant up` (see docs/vagrant.md)")

// needsLinuxCommand is `overlab local` where the local provider is not
// built: whatever follows it, it says errLocalNeedsLinux and exits 2.
func needsLinuxCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "local",
		Short:              "Local lab hosts (Linux only: use `overlab vagrant up` here)",
		DisableFlagParsing: true,
		RunE:               func(*cobra.Command, []string) error { return couldNotRun(errLocalNeedsLinux) },
	}
}
