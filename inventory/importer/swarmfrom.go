package importer

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/overlab/overlab/hostlist"
	"github.com/overlab/overlab/inventory"
)

// SwarmFrom is the manager an import asks, and how its hosts are reached.
type SwarmFrom struct {
	// Dial is a one-host inventory to Resolve and dial: the manager with
	// the source inventory's defaults (and file, for relative paths).
	Dial *inventory.Inventory
	// Defaults and ProxyJump are the SSH settings the imported inventory
	// gets: the manager's entry over its inventory's defaults, key paths
	// made absolute since the new file may live elsewhere.
	Defaults  inventory.Defaults
	ProxyJump string
	// NotIn, when from is an SSH spec although an inventory was read, is
	// that inventory's hosts: an error reaching from names them, in case
	// from was meant as one of them.
	NotIn string
}

// ResolveFrom finds the manager: a host of inv called from, or whose
// address or ssh_host is from; else from is an SSH spec,
// [ssh://][user@]host[:port], reached with inv's defaults (env, when inv
// is nil: the OVERLAB_ variables). It reads no network.
func ResolveFrom(inv *inventory.Inventory, env inventory.Defaults, from string) (SwarmFrom, error) {
	d, base := env, ""
	if inv != nil {
		d = inv.Defaults
		if inv.Source != "" {
			base = filepath.Dir(inv.Source)
		}
	}
	if h, ok := findHost(inv, from); ok {
		out := SwarmFrom{ProxyJump: h.ProxyJump, Defaults: inventory.Defaults{
			User:         first(h.User, d.User),
			IdentityFile: absPath(first(h.IdentityFile, d.IdentityFile), base),
			KnownHosts:   absPath(first(h.KnownHosts, d.KnownHosts), base),
			DockerSocket: first(h.DockerSocket, d.DockerSocket),
			TimeScale:    d.TimeScale,
			Port:         d.Port,
		}}
		if h.SSHHost == "" && h.Port != 0 {
			out.Defaults.Port = h.Port // not a port forward: the nodes listen there too
		}
		out.Dial = &inventory.Inventory{Defaults: d, Hosts: []inventory.Host{h}, Source: sourceOf(inv)}
		return out, nil
	}
	user, host, port, err := ParseSSHSpec(from)
	if err != nil {
		if inv != nil && inv.Source != "" {
			return SwarmFrom{}, fmt.Errorf("--from %q: no host of %s has this name or address, and %w", from, inv.Source, err)
		}
		return SwarmFrom{}, fmt.Errorf("--from %q: %w", from, err)
	}
	out := SwarmFrom{NotIn: hostsOf(inv), Defaults: inventory.Defaults{
		User:         first(user, d.User),
		Port:         d.Port,
		IdentityFile: absPath(d.IdentityFile, base),
		KnownHosts:   absPath(d.KnownHosts, base),
		DockerSocket: d.DockerSocket,
		TimeScale:    d.TimeScale,
	}}
	if port != 0 {
		out.Defaults.Port = port
	}
	h := inventory.Host{Name: host, Address: host, User: user, Port: port, Role: inventory.RoleManager}
	out.Dial = &inventory.Inventory{Defaults: d, Hosts: []inventory.Host{h}, Source: sourceOf(inv)}
	return out, nil
}

func findHost(inv *inventory.Inventory, from string) (inventory.Host, bool) {
	if inv == nil {
		return inventory.Host{}, false
	}
	for _, h := range inv.Hosts {
		if h.Name == from {
			return h, true
		}
	}
	for _, h := range inv.Hosts {
		if h.Address == from || (h.SSHHost != "" && h.SSHHost == from) {
			return h, true
		}
	}
	return inventory.Host{}, false
}

// hostsOf is "FILE (node1, node2, ...)", or "" without an inventory.
func hostsOf(inv *inventory.Inventory) string {
	if inv == nil {
		return ""
	}
	var names []string
	for _, h := range inv.Hosts {
		names = append(names, h.Name)
	}
	return fmt.Sprintf("%s (%s)", first(inv.Source, "the inventory"), hostlist.Join(names))
}

func sourceOf(inv *inventory.Inventory) string {
	if inv == nil {
		return ""
	}
	return inv.Source
}

// absPath makes a relative key or known_hosts path absolute against the
// source inventory's directory; ~ is left for Resolve to expand.
func absPath(p, base string) string {
	if p == "" || strings.HasPrefix(p, "~") || filepath.IsAbs(p) {
		return p
	}
	if abs, err := filepath.Abs(filepath.Join(base, p)); err == nil {
		return abs
	}
	return p
}

var (
	specUserRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}$`)
	specHostRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// ParseSSHSpec reads [ssh://][user@]host[:port] (an IPv6 host in
// brackets when a port follows) strictly: no password, path, query or
// option-like value. Port 0 and user "" mean not given.
func ParseSSHSpec(spec string) (user, host string, port int, err error) {
	rest := spec
	if scheme, after, ok := strings.Cut(spec, "://"); ok {
		if scheme != "ssh" {
			return "", "", 0, fmt.Errorf("%q: only ssh:// specs are understood", spec)
		}
		rest = after
	}
	if strings.ContainsAny(rest, "/?#") {
		return "", "", 0, fmt.Errorf("%q: a path, query or fragment means nothing here; write [user@]host[:port]", spec)
	}
	if u, h, ok := strings.Cut(rest, "@"); ok {
		if strings.Contains(u, ":") {
			return "", "", 0, fmt.Errorf("%q: no password in the spec; overlab uses keys (identity_file or ssh-agent)", spec)
		}
		if !specUserRe.MatchString(u) {
			return "", "", 0, fmt.Errorf("%q: %q is not a user name", spec, u)
		}
		user, rest = u, h
	}
	host = rest
	if strings.HasPrefix(rest, "[") || strings.Count(rest, ":") == 1 {
		var p string
		if host, p, err = net.SplitHostPort(rest); err != nil {
			return "", "", 0, fmt.Errorf("%q: %w", spec, err)
		}
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return "", "", 0, fmt.Errorf("%q: port %q is not 1-65535", spec, p)
		}
	}
	if _, perr := netip.ParseAddr(host); perr != nil && !specHostRe.MatchString(host) {
		return "", "", 0, fmt.Errorf("%q: %q is neither an inventory host, an IP address nor a host name", spec, host)
	}
	return user, host, port, nil
}
