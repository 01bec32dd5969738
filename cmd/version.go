package cmd

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/probeimage"
	"github.com/overlab/overlab/version"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "overlab's version, the Docker Engine API it was built with, and the probes it embeds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			printVersion(cmd.OutOrStdout(), probeimage.EmbeddedArchs())
			return nil
		},
	}
}

// printVersion says what a bug report needs: which overlab, built how, and
// what a host of each architecture will run as its probe.
func printVersion(w io.Writer, embedded []string) {
	fmt.Fprintf(w, "overlab %s (%s, %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "engine API %s (negotiated down to an older engine's)\n", version.EngineAPI())
	if len(embedded) == 0 {
		fmt.Fprintf(w, "probes embedded: none (%s)\n", probeFallback())
		return
	}
	platforms := make([]string, len(embedded))
	for i, a := range embedded {
		platforms[i] = "linux/" + a
	}
	fmt.Fprintf(w, "probes embedded: %s\n", strings.Join(platforms, ", "))
}

// probeFallback says where a probe comes from without embedded ones.
func probeFallback() string {
	var self string
	if runtime.GOOS == "linux" {
		self = "overlab itself on linux/" + runtime.GOARCH + " hosts; "
	}
	if version.ModuleVersion() != "" {
		return self + "other hosts' built once with the Go toolchain from " + version.Module + "@" + version.ModuleVersion()
	}
	return self + "other hosts need `make build` or --probe-binary"
}
