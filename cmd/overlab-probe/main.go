// Command overlab-probe is the probe program alone: what runs inside the
// lab's probe containers (`overlab-probe probe serve`, `... probe run`),
// without the rest of overlab. `make build` embeds it in overlab, so that
// the probe image is small; without it overlab is its own probe.
package main

import (
	"context"
	"os"

	"github.com/overlab/overlab/probe"
)

func main() {
	args := os.Args[1:]
	// The image's entrypoint is `/overlab probe serve`, whichever binary
	// /overlab is.
	if len(args) > 0 && args[0] == "probe" {
		args = args[1:]
	}
	os.Exit(probe.Main(context.Background(), args, probe.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
