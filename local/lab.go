//go:build linux

package local

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Defaults of `overlab local up`.
const (
	DefaultName      = "overlab"
	DefaultHosts     = 3
	DefaultStateRoot = "/var/lib/overlab/local"
	MaxHosts         = 64
)

// DefaultSubnet is Vagrant's host-only network, so that the local lab and a
// Vagrant lab have the same addresses.
var DefaultSubnet = netip.MustParsePrefix("192.168.56.0/24")

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// Lab describes one local lab: its name, size and underlay. All names of the
// lab's kernel objects derive from it, so that a crashed run can be cleaned
// up from the name alone.
type Lab struct {
	Name      string
	Hosts     int
	Subnet    netip.Prefix
	StateRoot string
	Engine    Engine // the zero Engine is the machine's own dockerd
	// EngineLogLevel is each dockerd's --log-level; "" is warn. debug keeps
	// the evidence of engine races (NetworkDB's bulk syncs) in dockerd.log.
	EngineLogLevel string
}

// engineLogLevels are the levels dockerd's --log-level takes.
var engineLogLevels = []string{"debug", "info", "warn", "error", "fatal"}

// ValidName checks a lab name wherever one arrives (up, down, status): every
// path and kernel object name of the lab is derived from it, so a name such
// as "" or "../x" would reach outside the lab's state.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("lab name %q: use 1-31 lower-case letters, digits or '-', starting with a letter or digit (--name)", name)
	}
	return nil
}

// Validate checks the lab's parameters and says how to fix them.
func (l Lab) Validate() error {
	if err := ValidName(l.Name); err != nil {
		return err
	}
	if l.Hosts < 1 || l.Hosts > MaxHosts {
		return fmt.Errorf("--hosts %d: a local lab has 1 to %d hosts", l.Hosts, MaxHosts)
	}
	if !l.Subnet.IsValid() || !l.Subnet.Addr().Is4() {
		return fmt.Errorf("--subnet %q: give an IPv4 CIDR such as 192.168.56.0/24", l.Subnet)
	}
	if l.Subnet.Masked() != l.Subnet {
		return fmt.Errorf("--subnet %s: not a network address; did you mean %s?", l.Subnet, l.Subnet.Masked())
	}
	if l.EngineLogLevel != "" && !slices.Contains(engineLogLevels, l.EngineLogLevel) {
		return fmt.Errorf("--engine-log-level %q: use one of %s", l.EngineLogLevel, strings.Join(engineLogLevels, ", "))
	}
	size := 1 << (32 - l.Subnet.Bits())
	if last := 10 + l.Hosts; last >= size-1 {
		return fmt.Errorf("--subnet %s is too small for %d hosts (host i takes .%d+i): use a larger subnet or fewer hosts", l.Subnet, l.Hosts, 10)
	}
	return nil
}

func (l Lab) hash() string {
	sum := sha256.Sum256([]byte(l.Name))
	return hex.EncodeToString(sum[:])[:6]
}

// Bridge is the underlay bridge's name (at most 15 bytes, IFNAMSIZ).
func (l Lab) Bridge() string { return "olb" + l.hash() }

// VethPrefix starts the root-side veth names of every host of the lab.
func (l Lab) VethPrefix() string { return "olv" + l.hash() + "n" }

// HostVeth is host i's root-side veth; its peer is eth0 in the host.
func (l Lab) HostVeth(i int) string { return l.VethPrefix() + strconv.Itoa(i) }

// HostName is host i's name and hostname (1-based).
func HostName(i int) string { return "node" + strconv.Itoa(i) }

// Netns is host i's network namespace name.
func (l Lab) Netns(i int) string { return l.Name + "-" + HostName(i) }

// NetnsRE matches the network namespaces of this lab, and only of this lab.
func (l Lab) NetnsRE() *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(l.Name) + `-node([0-9]+)$`)
}

// HostAddr is host i's underlay address: .10+i of the subnet.
func (l Lab) HostAddr(i int) netip.Addr { return nth(l.Subnet, 10+i) }

// BridgeAddr is the machine's own address on the underlay (.1, like
// Vagrant's host side), through which overlab reaches the hosts' sshd.
func (l Lab) BridgeAddr() netip.Addr { return nth(l.Subnet, 1) }

// StateDir holds the lab's keys, pid files, logs, data roots and inventory.
func (l Lab) StateDir() string { return filepath.Join(l.StateRoot, l.Name) }

// ownStateDir is StateDir, refused unless the name is valid and the
// directory lies strictly below the state root: the one check at the places
// that unmount and delete, whatever validated (or did not) before them.
func (l Lab) ownStateDir() (string, error) {
	if err := ValidName(l.Name); err != nil {
		return "", err
	}
	root := filepath.Clean(l.StateRoot)
	dir := filepath.Clean(l.StateDir())
	if rel, err := filepath.Rel(root, dir); err != nil || rel != l.Name {
		return "", fmt.Errorf("lab %q: state directory %s is not directly below the state root %s: refusing to touch it", l.Name, dir, root)
	}
	return dir, nil
}

// HostDir is host i's part of the state directory.
func (l Lab) HostDir(i int) string { return filepath.Join(l.StateDir(), "hosts", HostName(i)) }

// InventoryPath is where `local up` writes the lab's inventory.
func (l Lab) InventoryPath() string { return filepath.Join(l.StateDir(), "inventory.yaml") }

// KeyPath is the lab user's private key; KeyPath()+".pub" the public one.
func (l Lab) KeyPath() string { return filepath.Join(l.StateDir(), "id_ed25519") }

// KnownHostsPath holds every host's key.
func (l Lab) KnownHostsPath() string { return filepath.Join(l.StateDir(), "known_hosts") }

// AuthorizedKeysDir holds one authorized_keys file per user (sshd's %u).
func (l Lab) AuthorizedKeysDir() string { return filepath.Join(l.StateDir(), "authorized_keys") }

// CgroupParent is where host i's dockerd puts its containers, so that a
// crashed host's containers can be found and ended.
func (l Lab) CgroupParent(i int) string { return "/overlab/" + l.Name + "/" + HostName(i) }

func nth(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
