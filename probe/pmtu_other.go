//go:build !linux

package probe

import (
	"errors"
	"net"
)

// setDontFragment: the probe runs in Linux containers; elsewhere (overlab
// built for a Mac or Windows) a path MTU search is not offered.
func setDontFragment(*net.UDPConn) error { return errors.New("path MTU probing needs Linux") }
