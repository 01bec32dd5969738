package inventory

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/validname"
)

// LookupFunc resolves a host name to addresses; net.Resolver.LookupHost by
// default.
type LookupFunc func(ctx context.Context, name string) ([]string, error)

type validateConfig struct {
	lookup  LookupFunc
	timeout time.Duration
	home    string
}

// ValidateOption changes how Validate checks an inventory.
type ValidateOption func(*validateConfig)

// WithLookup replaces the system resolver (tests use it to stay offline).
func WithLookup(f LookupFunc) ValidateOption { return func(c *validateConfig) { c.lookup = f } }

// ValidateHome sets the directory that ~ stands for in key paths (default
// $HOME).
func ValidateHome(dir string) ValidateOption { return func(c *validateConfig) { c.home = dir } }

var (
	// Host names become container and swarm node names: keep them plain.
	nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)
	// RFC 1123 host names.
	dnsNameRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)
	// Docker's advice for label keys: lower-case alphanumerics, dots and
	// dashes, beginning and ending with a letter or digit.
	labelKeyRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
)

// ValidName says whether s may be a host's name (it becomes container and
// swarm node names): letters, digits, '.', '_' and '-', at most 63.
func ValidName(s string) bool { return nameRe.MatchString(s) }

// ValidLabelKey says whether k may be a host label's key (Docker's advice:
// lower-case alphanumerics, dots and dashes).
func ValidLabelKey(k string) bool { return labelKeyRe.MatchString(k) }

// MaxHosts bounds an inventory: every host costs an SSH connection, and
// every pair of hosts probes.
const MaxHosts = 1000

// Validate checks the inventory and reports every problem at once, each
// naming the file, the host and the field, and saying how to fix it.
func (inv *Inventory) Validate(opts ...ValidateOption) error {
	c := newInventoryCheck(inv.Source, opts)
	c.defaults(inv.Defaults)
	if len(inv.Hosts) == 0 {
		c.add("hosts", "hosts", "the list is empty; add at least one host with name, address and role: manager")
		return finish(c.errs)
	}
	if len(inv.Hosts) > MaxHosts {
		c.add("hosts", "hosts", "%d hosts: overlab works on at most %d", len(inv.Hosts), MaxHosts)
		return finish(c.errs)
	}
	for i, h := range inv.Hosts {
		c.host(inv.Hosts, i, h)
	}
	if c.managers == 0 {
		c.add("hosts", "role", "no host has role: manager; set role: manager on at least one host (usually the first)")
	}
	return finish(c.errs)
}

// inventoryCheck is what Validate's steps share: where the inventory came
// from, the problems found so far, and the names and addresses seen, which
// must be unique.
type inventoryCheck struct {
	cfg        validateConfig
	file, base string // base resolves relative key paths; "" for none
	errs       *multierror.Error
	names      map[string]int // name -> index of the host that has it
	addrs      map[string]int // canonical address -> index of the host
	managers   int
}

func newInventoryCheck(source string, opts []ValidateOption) *inventoryCheck {
	cfg := validateConfig{
		lookup:  net.DefaultResolver.LookupHost,
		timeout: 2 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.home == "" {
		cfg.home, _ = os.UserHomeDir()
	}
	c := &inventoryCheck{cfg: cfg, file: source, names: map[string]int{}, addrs: map[string]int{}}
	if c.file == "" {
		c.file = "inventory"
	} else {
		c.base = filepath.Dir(c.file)
	}
	return c
}

// add records a problem with a field of the defaults or of a host.
func (c *inventoryCheck) add(where, field, format string, args ...any) {
	c.errs = multierror.Append(c.errs, fmt.Errorf("%s: %s: %s: %s", c.file, where, field, fmt.Sprintf(format, args...)))
}

// fail is add for checks shared by defaults and hosts (checkPort, checkSocket).
func (c *inventoryCheck) fail(where, field string) func(string, ...any) {
	return func(f string, a ...any) { c.add(where, field, f, a...) }
}

func (c *inventoryCheck) defaults(d Defaults) {
	checkPort(d.Port, c.fail("defaults", "port"))
	checkSocket(d.DockerSocket, c.fail("defaults", "docker_socket"))
	if d.TimeScale != 0 && (d.TimeScale < 1 || d.TimeScale > 20) {
		c.add("defaults", "time_scale", "%v: use a factor from 1 to 20 (4 suits VMs under software emulation)", d.TimeScale)
	}
	if d.IdentityFile != "" {
		if err := readable(localPath(d.IdentityFile, c.base, c.cfg.home)); err != nil {
			c.add("defaults", "identity_file", "%v; fix the path or remove it to use ssh-agent and ~/.ssh/config", err)
		}
	}
}

// host checks hosts[i], field by field in the order of the file format.
func (c *inventoryCheck) host(hosts []Host, i int, h Host) {
	where := hostRef(i, h)
	c.hostName(where, i, h)
	c.hostAddress(hosts, where, i, h)
	switch h.Role {
	case RoleManager:
		c.managers++
	case RoleWorker, "":
	default:
		c.add(where, "role", "%q is not a role; use manager or worker (empty means worker)", h.Role)
	}
	if h.SSHHost != "" && net.ParseIP(h.SSHHost) == nil && !dnsNameRe.MatchString(h.SSHHost) {
		c.add(where, "ssh_host", "%q is neither an IP address nor a host name", h.SSHHost)
	}
	checkPort(h.Port, c.fail(where, "port"))
	checkSocket(h.DockerSocket, c.fail(where, "docker_socket"))
	if h.IdentityFile != "" {
		if err := readable(localPath(h.IdentityFile, c.base, c.cfg.home)); err != nil {
			c.add(where, "identity_file", "%v; fix the path, or remove it to use defaults.identity_file, ssh-agent or ~/.ssh/config", err)
		}
	}
	if h.MacvlanParent != "" {
		if err := validname.Interface(h.MacvlanParent); err != nil {
			c.add(where, "macvlan_parent", "%v; leave it out to detect it from the address", err)
		}
	}
	for _, k := range sortedLabelKeys(h.Labels) {
		if !labelKeyRe.MatchString(k) {
			c.add(where, "labels", "key %q is not a valid label key; use lower-case letters, digits, '.' and '-', starting and ending with a letter or digit", k)
		}
	}
}

func (c *inventoryCheck) hostName(where string, i int, h Host) {
	switch {
	case h.Name == "":
		c.add(where, "name", "missing; give every host a unique name such as node%d", i+1)
	case !nameRe.MatchString(h.Name):
		c.add(where, "name", "%q is not a plain name; use letters, digits, '.', '_' and '-' (at most 63)", h.Name)
	default:
		if j, dup := c.names[h.Name]; dup {
			c.add(where, "name", "%q is also the name of hosts[%d]; names must be unique", h.Name, j)
		} else {
			c.names[h.Name] = i
		}
	}
}

func (c *inventoryCheck) hostAddress(hosts []Host, where string, i int, h Host) {
	if h.Address == "" {
		c.add(where, "address", "missing; set the host's address on the lab network (the swarm advertise address)")
		return
	}
	if msg := checkAddress(h.Address, c.cfg); msg != "" {
		c.add(where, "address", "%s", msg)
		return
	}
	// One address written two ways (::1, 0:0::1) is still one address.
	key := h.Address
	if ip := net.ParseIP(h.Address); ip != nil {
		key = ip.String()
	}
	if j, dup := c.addrs[key]; dup {
		c.add(where, "address", "%s is also the address of %s; each host needs its own lab address (SSH may share one through ssh_host and port)", h.Address, hostRef(j, hosts[j]))
	} else {
		c.addrs[key] = i
	}
}

func finish(errs *multierror.Error) error {
	if errs == nil {
		return nil
	}
	errs.ErrorFormat = func(es []error) string {
		if len(es) == 1 {
			return "invalid inventory: " + es[0].Error()
		}
		lines := make([]string, len(es))
		for i, e := range es {
			lines[i] = "  - " + e.Error()
		}
		return fmt.Sprintf("invalid inventory, %d problems:\n%s", len(es), strings.Join(lines, "\n"))
	}
	return errs.ErrorOrNil()
}

// hostRef names a host for messages: its index always, its name when set.
func hostRef(i int, h Host) string {
	if h.Name == "" {
		return fmt.Sprintf("hosts[%d]", i)
	}
	return fmt.Sprintf("hosts[%d] (%s)", i, h.Name)
}

func checkPort(p int, fail func(string, ...any)) {
	if p < 0 || p > 65535 {
		fail("%d is out of range; use 1-65535, or leave it out for 22", p)
	}
}

func checkSocket(s string, fail func(string, ...any)) {
	if s != "" && !strings.HasPrefix(s, "/") {
		fail("%q is not an absolute path; use the socket's path on the host, e.g. /var/run/docker.sock", s)
	}
}

func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory, not a key file", path)
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// checkAddress returns "" for an IP or a name that resolves, else why not.
// Only the system resolver is asked, with a short timeout.
func checkAddress(a string, cfg validateConfig) string {
	if ip := net.ParseIP(a); ip != nil {
		return unusable(a, ip)
	}
	if strings.Contains(a, "/") {
		return fmt.Sprintf("%q is a network, not an address; write the host's own IP", a)
	}
	if isAllNumeric(a) || !dnsNameRe.MatchString(a) {
		return fmt.Sprintf("%q is neither an IP address nor a host name; write the host's IP on the lab network", a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	addrs, err := cfg.lookup(ctx, a)
	if err != nil || len(addrs) == 0 {
		reason := "no addresses"
		if err != nil {
			reason = err.Error()
		}
		return fmt.Sprintf("%q does not resolve (%s); write the host's IP on the lab network", a, reason)
	}
	if ip := net.ParseIP(addrs[0]); ip != nil {
		if msg := unusable(a+" (resolves to "+addrs[0]+")", ip); msg != "" {
			return msg
		}
	}
	return ""
}

// unusable says why ip cannot be a lab address, or "". The other hosts, the
// swarm and the probes all send to it, so it must be the host's own unicast
// address on a network they share.
func unusable(a string, ip net.IP) string {
	const fix = "write the host's address on the lab network (where SSH connects, if elsewhere, goes in ssh_host)"
	switch {
	case ip.IsLoopback():
		return fmt.Sprintf("%s is a loopback address: every host would reach itself there, not this host; %s", a, fix)
	case ip.IsUnspecified():
		return fmt.Sprintf("%s is the unspecified address (any), not one host's; %s", a, fix)
	case ip.IsMulticast():
		return fmt.Sprintf("%s is a multicast address, which names a group, not a host; %s", a, fix)
	case ip.Equal(net.IPv4bcast):
		return fmt.Sprintf("%s is the broadcast address; %s", a, fix)
	}
	return ""
}

// isAllNumeric catches typos such as 192.168.56.300, which would otherwise
// pass as a host name and be sent to the resolver.
func isAllNumeric(a string) bool {
	return strings.Trim(a, "0123456789.") == ""
}

func sortedLabelKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ExpandHome replaces a leading ~ or ~/ with home ($HOME when home is "").
func ExpandHome(p, home string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}
