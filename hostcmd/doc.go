// Package hostcmd is how doctor, fault and explain run shell on a lab host:
// over the host's one SSH connection, as root (through `sudo -n` when the
// SSH user is not root), with arguments quoted for sh.
package hostcmd
