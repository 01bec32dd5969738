package netdriver

import (
	"sort"

	"github.com/overlab/overlab/shellquote"
)

// CommandLine is the docker CLI command that creates c, rendered from the
// same options the API gets, so that what `lab show --commands` prints and
// what `up` creates cannot differ. overlab's labels are left out: a person
// typing the commands makes an unlabelled network.
func CommandLine(c Create) string {
	o := c.Options
	args := []string{"docker", "network", "create"}
	if o.Driver != "" {
		args = append(args, "-d", o.Driver)
	}
	if o.Scope != "" && !scopeImplied(o.Driver, o.Scope) {
		args = append(args, "--scope", o.Scope)
	}
	flag := func(on bool, f string) {
		if on {
			args = append(args, f)
		}
	}
	flag(o.ConfigOnly, "--config-only")
	flag(o.Attachable, "--attachable")
	flag(o.Internal, "--internal")
	flag(o.EnableIPv6 != nil && *o.EnableIPv6, "--ipv6")
	flag(o.EnableIPv4 != nil && !*o.EnableIPv4, "--ipv4=false")
	if o.IPAM != nil {
		for _, ic := range o.IPAM.Config {
			args = appendNonEmpty(args, "--subnet", ic.Subnet)
			args = appendNonEmpty(args, "--gateway", ic.Gateway)
			args = appendNonEmpty(args, "--ip-range", ic.IPRange)
		}
	}
	if o.ConfigFrom != nil {
		args = append(args, "--config-from", o.ConfigFrom.Network)
	}
	keys := make([]string, 0, len(o.Options))
	for k := range o.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-o", k+"="+o.Options[k])
	}
	return shellquote.Join(append(args, c.Name)...)
}

// RemoveLine is the docker CLI command that removes c.
func RemoveLine(c Create) string { return shellquote.Join("docker", "network", "rm", c.Name) }

// scopeImplied: the CLI gives a network of this driver that scope anyway.
func scopeImplied(driver, scope string) bool {
	d, ok := Get(driver)
	return ok && d.DefaultScope(false) == scope
}

func appendNonEmpty(args []string, flag, v string) []string {
	if v == "" {
		return args
	}
	return append(args, flag, v)
}
