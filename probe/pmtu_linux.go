package probe

import (
	"net"
	"syscall"
)

// setDontFragment sets DF and sends whatever size is asked, ignoring the
// kernel's path MTU cache, so that each size is really tried.
func setDontFragment(c *net.UDPConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER, ipPMTUDiscProbe)
	})
	if err != nil {
		return err
	}
	return serr
}

// IP_PMTUDISC_PROBE (linux/in.h): DF set, path MTU cache ignored.
const ipPMTUDiscProbe = 3
