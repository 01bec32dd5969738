package vagrant

import "syscall"

// terminate asks a daemon that up started to stop.
func terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }
