//go:build !linux

package vagrant

import "errors"

// terminate: up starts libvirt's daemons on Linux only (isProcess reads /proc).
func terminate(int) error { return errors.New("stopping libvirt's daemons needs Linux") }
