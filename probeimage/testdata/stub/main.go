// Command stub stands in for the overlab binary in probeimage's unit tests;
// it imports net so that a cgo build of it is dynamically linked.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	addrs, err := net.LookupHost("localhost")
	fmt.Fprintln(os.Stderr, addrs, err)
}
