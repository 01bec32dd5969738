// Package probeimage builds the probe image from overlab's own static binary
// and loads it onto Docker engines that lack it, with no registry involved.
//
// The image's root file system is /overlab (the binary, which runs as
// `overlab probe serve`) and, when the machine has Debian's busybox-static,
// /bin/busybox with symlinks for the usual applets so that a person can
// `docker exec` into a probe and repeat a check by hand. The reference
// overlab-probe:<12 hex> names the content (binary, busybox, layout), so an
// engine that has the reference with the matching label needs nothing.
package probeimage
