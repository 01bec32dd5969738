package importer

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/inventory"
)

// ansibleInventory is what both Ansible formats parse to: hosts with their
// own variables, and groups with hosts, variables and child groups.
type ansibleInventory struct {
	hostOrder []string
	hostVars  map[string]map[string]string
	groups    map[string]*ansibleGroup
	visits    int // group entries read, to bound hostile input
}

type ansibleGroup struct {
	name     string
	hosts    []string
	vars     map[string]string
	children []string
}

func newAnsibleInventory() *ansibleInventory {
	return &ansibleInventory{hostVars: map[string]map[string]string{}, groups: map[string]*ansibleGroup{}}
}

func (a *ansibleInventory) group(name string) *ansibleGroup {
	g, ok := a.groups[name]
	if !ok {
		g = &ansibleGroup{name: name, vars: map[string]string{}}
		a.groups[name] = g
	}
	return g
}

// addHost records host in group (may be "") with its own variables.
func (a *ansibleInventory) addHost(group, host string, vars map[string]string) {
	hv, ok := a.hostVars[host]
	if !ok {
		hv = map[string]string{}
		a.hostVars[host] = hv
		a.hostOrder = append(a.hostOrder, host)
	}
	for k, v := range vars {
		hv[k] = v
	}
	if group != "" {
		g := a.group(group)
		for _, h := range g.hosts {
			if h == host {
				return
			}
		}
		g.hosts = append(g.hosts, host)
	}
}

// members returns the hosts of group and of its descendants.
func (a *ansibleInventory) members(group string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		g, ok := a.groups[name]
		if !ok {
			return
		}
		for _, h := range g.hosts {
			out[h] = true
		}
		for _, c := range g.children {
			walk(c)
		}
	}
	walk(group)
	return out
}

// depths gives every group its distance below "all" (the longest), the
// order in which Ansible lets group variables override each other: deeper
// wins. Call it only after checkCycles.
func (a *ansibleInventory) depths() map[string]int {
	depth := map[string]int{}
	var visit func(name string, d int)
	visit = func(name string, d int) {
		if depth[name] >= d {
			return
		}
		depth[name] = d
		if g, ok := a.groups[name]; ok {
			for _, c := range g.children {
				visit(c, d+1)
			}
		}
	}
	for _, name := range sortedGroupNames(a.groups) {
		if name != "all" {
			visit(name, 1)
		}
	}
	return depth
}

// checkCycles refuses child groups that contain themselves.
func (a *ansibleInventory) checkCycles() error {
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("group %s is its own descendant (children loop)", name)
		case 2:
			return nil
		}
		state[name] = 1
		if g, ok := a.groups[name]; ok {
			for _, c := range g.children {
				if err := visit(c); err != nil {
					return err
				}
			}
		}
		state[name] = 2
		return nil
	}
	for _, name := range sortedGroupNames(a.groups) {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

// varsOf merges a host's variables as Ansible does: all, then groups from
// the shallowest to the deepest (by name on ties), then the host's own.
func (a *ansibleInventory) varsOf(host string, depth map[string]int) map[string]string {
	var in []string
	for name := range a.groups {
		if name != "all" && a.members(name)[host] {
			in = append(in, name)
		}
	}
	sort.Slice(in, func(i, j int) bool {
		if depth[in[i]] != depth[in[j]] {
			return depth[in[i]] < depth[in[j]]
		}
		return in[i] < in[j]
	})
	vars := map[string]string{}
	if g, ok := a.groups["all"]; ok {
		for k, v := range g.vars {
			vars[k] = v
		}
	}
	for _, name := range in {
		for k, v := range a.groups[name].vars {
			vars[k] = v
		}
	}
	for k, v := range a.hostVars[host] {
		vars[k] = v
	}
	return vars
}

func sortedGroupNames(m map[string]*ansibleGroup) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AnsibleOptions choose how groups map to swarm roles.
type AnsibleOptions struct {
	// ManagerGroup holds the swarm managers; default "managers", else
	// "swarm_managers".
	ManagerGroup string
	// WorkerGroup holds the workers; default "workers", else
	// "swarm_workers". When no worker group exists, every other host of the
	// inventory becomes a worker.
	WorkerGroup string
}

var (
	defaultManagerGroups = []string{"managers", "swarm_managers"}
	defaultWorkerGroups  = []string{"workers", "swarm_workers"}
)

// Variables overlab understands; the rest of an Ansible inventory is about
// configuring hosts, not reaching them, and is ignored.
const (
	varAddress = "overlab_address" // the lab address when ansible_host is not it
)

func (a *ansibleInventory) toInventory(opts AnsibleOptions) (*inventory.Inventory, error) {
	if err := a.checkCycles(); err != nil {
		return nil, err
	}
	managerGroup, err := a.pickGroup(opts.ManagerGroup, defaultManagerGroups, "--manager-group", true)
	if err != nil {
		return nil, err
	}
	workerGroup, err := a.pickGroup(opts.WorkerGroup, defaultWorkerGroups, "--worker-group", false)
	if err != nil {
		return nil, err
	}
	managers := a.members(managerGroup)
	if len(managers) == 0 {
		return nil, fmt.Errorf("group %s has no hosts; the swarm needs at least one manager", managerGroup)
	}
	var workers map[string]bool
	if workerGroup != "" {
		workers = a.members(workerGroup)
	}

	depth := a.depths()
	inv := &inventory.Inventory{}
	var errs *multierror.Error
	for _, name := range a.hostOrder {
		role := inventory.RoleWorker
		switch {
		case managers[name]:
			role = inventory.RoleManager
		case workers != nil && !workers[name]:
			continue // neither group: not part of the swarm
		}
		h, err := mapAnsibleHost(name, a.varsOf(name, depth))
		if err != nil {
			errs = multierror.Append(errs, multierror.Prefix(err, name+":"))
			continue
		}
		h.Role = role
		inv.Hosts = append(inv.Hosts, h)
	}
	if err := tidy(errs); err != nil {
		return nil, err
	}
	return inv, nil
}

func (a *ansibleInventory) pickGroup(chosen string, defaults []string, flag string, required bool) (string, error) {
	if chosen != "" {
		if _, ok := a.groups[chosen]; !ok {
			return "", fmt.Errorf("group %s (%s) is not in the inventory; groups: %s", chosen, flag, strings.Join(sortedGroupNames(a.groups), ", "))
		}
		return chosen, nil
	}
	for _, g := range defaults {
		if _, ok := a.groups[g]; ok {
			return g, nil
		}
	}
	if required {
		return "", fmt.Errorf("no %s group says which hosts are swarm managers; pass %s GROUP (groups: %s)", strings.Join(defaults, " or "), flag, strings.Join(sortedGroupNames(a.groups), ", "))
	}
	return "", nil
}

func mapAnsibleHost(name string, vars map[string]string) (inventory.Host, error) {
	h := inventory.Host{Name: name}
	var errs *multierror.Error
	fail := func(format string, args ...any) { errs = multierror.Append(errs, fmt.Errorf(format, args...)) }

	switch c := vars["ansible_connection"]; c {
	case "", "ssh", "smart", "paramiko":
	default:
		fail("ansible_connection=%s: overlab reaches hosts over SSH only", c)
	}
	for _, k := range []string{"ansible_password", "ansible_ssh_pass", "ansible_ssh_password"} {
		if vars[k] != "" {
			fail("%s: overlab authenticates with keys or ssh-agent, not passwords; remove it and use ansible_ssh_private_key_file", k)
		}
	}
	target := first(vars["ansible_host"], vars["ansible_ssh_host"], name)
	if p := first(vars["ansible_port"], vars["ansible_ssh_port"]); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			fail("ansible_port=%s is not a port number", p)
		}
		h.Port = n
	}
	h.User = first(vars["ansible_user"], vars["ansible_ssh_user"])
	h.IdentityFile = first(vars["ansible_ssh_private_key_file"], vars["ansible_private_key_file"])
	for _, k := range []string{"ansible_ssh_common_args", "ansible_ssh_extra_args"} {
		if args := vars[k]; args != "" {
			jump, err := proxyJumpFromArgs(args)
			if err != nil {
				fail("%s: %v", k, err)
			}
			if jump != "" {
				h.ProxyJump = jump
			}
		}
	}

	if addr := vars[varAddress]; addr != "" {
		h.Address = addr
		if target != addr {
			h.SSHHost = target
		}
	} else {
		if isLoopback(target) {
			fail("ansible_host=%s is a port forward, not the host's lab address; add %s=<lab IP> to the host, or import `vagrant ssh-config` output with `overlab inventory import vagrant`", target, varAddress)
		}
		h.Address = target
	}
	return h, tidy(errs)
}

// proxyJumpFromArgs accepts the one thing overlab can honour in extra SSH
// arguments, a jump host (-J host or -o ProxyJump=host), and refuses the rest
// rather than silently connecting differently from Ansible.
func proxyJumpFromArgs(args string) (string, error) {
	f := splitWords(args)
	jump := ""
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "-J" && i+1 < len(f):
			jump = f[i+1]
			i++
		case strings.HasPrefix(f[i], "-J") && len(f[i]) > 2:
			jump = f[i][2:]
		case f[i] == "-o" && i+1 < len(f) && isProxyJumpOption(f[i+1]):
			jump = optionValue(f[i+1])
			i++
		case strings.HasPrefix(f[i], "-o") && isProxyJumpOption(f[i][2:]):
			jump = optionValue(f[i][2:])
		case f[i] == "-o" && i+1 < len(f) && isHarmlessOption(f[i+1]):
			i++
		default:
			return "", fmt.Errorf("cannot map SSH argument %q (only -J / -o ProxyJump= are understood); use ~/.ssh/config for the rest", f[i])
		}
	}
	return jump, nil
}

func isProxyJumpOption(o string) bool {
	return strings.HasPrefix(strings.ToLower(o), "proxyjump=") || strings.HasPrefix(strings.ToLower(o), "proxyjump ")
}

// isHarmlessOption: options that only change logging or loosen host-key
// checks, which overlab replaces with its own known_hosts handling.
func isHarmlessOption(o string) bool {
	f := strings.FieldsFunc(o, func(r rune) bool { return r == '=' || r == ' ' })
	if len(f) == 0 {
		return false
	}
	switch strings.ToLower(f[0]) {
	case "stricthostkeychecking", "userknownhostsfile", "loglevel", "identitiesonly", "controlmaster", "controlpersist", "controlpath", "serveraliveinterval", "serveralivecountmax", "connecttimeout":
		return true
	}
	return false
}

func optionValue(o string) string {
	_, v, _ := strings.Cut(strings.ReplaceAll(o, " ", "="), "=")
	return strings.TrimSpace(v)
}

func isLoopback(target string) bool {
	if target == "localhost" {
		return true
	}
	ip := net.ParseIP(target)
	return ip != nil && ip.IsLoopback()
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
