// Command overlab turns machines reached over SSH into a Docker multi-host
// networking lab and proves what reaches what.
package main

import (
	"os"

	"github.com/overlab/overlab/cmd"
)

func main() {
	os.Exit(cmd.Execute(os.Args[1:], cmd.Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
