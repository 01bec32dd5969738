package vagrant

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
)

// What overlab makes on this machine for vagrant-libvirt. The Vagrantfile
// knows these names through OVERLAB_LIBVIRT_POOL and OVERLAB_LIBVIRT_MGMT.
const (
	PoolName    = "overlab"
	MgmtNetwork = "overlab-mgmt"
	LabNetwork  = "overlab-lab"
	chain       = "OVERLAB-VM"
)

// network is an isolated libvirt network: no <forward>, no DNS server, DHCP
// only where Vagrant needs it (the management network, for SSH).
type network struct {
	Name, Bridge, Address string // Address: the host's, /24
	DHCP                  bool
}

var networks = []network{
	{Name: MgmtNetwork, Bridge: "ovl-mgmt", Address: "192.168.125.1", DHCP: true},
	{Name: LabNetwork, Bridge: "ovl-lab", Address: "192.168.56.1"},
}

func (n network) xml() string {
	dhcp := ""
	if n.DHCP {
		p := n.Address[:strings.LastIndex(n.Address, ".")]
		dhcp = fmt.Sprintf("<dhcp><range start='%s.100' end='%s.199'/></dhcp>", p, p)
	}
	return fmt.Sprintf("<network><name>%s</name><bridge name='%s' stp='off' delay='0'/><dns enable='no'/>"+
		"<ip address='%s' netmask='255.255.255.0'>%s</ip></network>", n.Name, n.Bridge, n.Address, dhcp)
}

// hostState is what the libvirt side of `up` made, so that `down` removes
// exactly that and nothing that was there before.
type hostState struct {
	Daemons  map[string]int `json:"daemons,omitempty"` // daemon -> PID overlab started
	Pool     bool           `json:"pool,omitempty"`
	PoolPath string         `json:"pool_path,omitempty"`
	Networks []string       `json:"networks,omitempty"`
	Firewall bool           `json:"firewall,omitempty"`
	BootDir  string         `json:"boot_dir,omitempty"`
}

// libvirtHost prepares and clears this machine for vagrant-libvirt.
type libvirtHost struct {
	run      Runner
	poolPath string
	logf     func(string, ...any)
}

const virsh = "virsh"

func (h *libvirtHost) virsh(ctx context.Context, args ...string) ([]byte, error) {
	return h.run(ctx, append([]string{virsh, "-c", "qemu:///system"}, args...)...)
}

// prepare starts what is missing. The firewall comes after the networks
// (libvirtd puts its own jumps first when a network starts; ours must be
// first) and before any VM exists.
func (h *libvirtHost) prepare(ctx context.Context, st *hostState) error {
	if err := h.startDaemons(ctx, st); err != nil {
		return err
	}
	if err := h.ensurePool(ctx, st); err != nil {
		return err
	}
	for _, n := range networks {
		if err := h.ensureNetwork(ctx, st, n); err != nil {
			return err
		}
	}
	return h.firewall(ctx, st)
}

// startDaemons starts virtlogd and libvirtd when no libvirtd answers (this
// machine's PID 1 is not systemd, so nothing socket-activates them).
func (h *libvirtHost) startDaemons(ctx context.Context, st *hostState) error {
	if _, err := h.virsh(ctx, "version"); err == nil {
		return nil
	}
	if st.Daemons == nil {
		st.Daemons = map[string]int{}
	}
	for _, d := range []struct{ bin, pidfile string }{
		{"virtlogd", "/run/virtlogd.pid"},
		{"libvirtd", "/run/libvirtd.pid"},
	} {
		if pid := runningPID(d.pidfile, d.bin); pid > 0 {
			continue // started by someone else: theirs to stop
		}
		if _, err := h.run(ctx, d.bin, "-d"); err != nil {
			return fmt.Errorf("starting %s: %w", d.bin, err)
		}
		pid, err := waitPID(ctx, d.pidfile, d.bin)
		if err != nil {
			return err
		}
		st.Daemons[d.bin] = pid
		h.logf("started %s (PID %d)", d.bin, pid)
	}
	return retry(ctx, 30*time.Second, func() error { _, err := h.virsh(ctx, "version"); return err })
}

func (h *libvirtHost) ensurePool(ctx context.Context, st *hostState) error {
	if _, err := h.virsh(ctx, "pool-info", PoolName); err == nil {
		return nil
	}
	if err := os.MkdirAll(h.poolPath, 0o711); err != nil {
		return err
	}
	st.Pool, st.PoolPath = true, h.poolPath
	if _, err := h.virsh(ctx, "pool-define-as", PoolName, "dir", "--target", h.poolPath); err != nil {
		return err
	}
	_, err := h.virsh(ctx, "pool-start", PoolName)
	return err
}

func (h *libvirtHost) ensureNetwork(ctx context.Context, st *hostState, n network) error {
	if out, err := h.virsh(ctx, "net-info", n.Name); err == nil {
		if !strings.Contains(string(out), "Active:         yes") {
			_, err = h.virsh(ctx, "net-start", n.Name)
		}
		return err
	}
	f, err := os.CreateTemp("", "overlab-net-*.xml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(n.xml()); err != nil {
		return err
	}
	f.Close()
	st.Networks = append(st.Networks, n.Name)
	if _, err := h.virsh(ctx, "net-define", f.Name()); err != nil {
		return fmt.Errorf("libvirt network %s: %w", n.Name, err)
	}
	if _, err := h.virsh(ctx, "net-start", n.Name); err != nil {
		return fmt.Errorf("libvirt network %s (is %s/24 in use on this machine?): %w", n.Name, n.Address, err)
	}
	return nil
}

// firewall makes the VM bridges dead ends: frames may cross a bridge and
// reach this machine, but nothing is forwarded into or out of them. The
// chain is overlab's; FORWARD gets one jump to it, first.
func (h *libvirtHost) firewall(ctx context.Context, st *hostState) error {
	for _, ipt := range []string{"iptables", "ip6tables"} {
		if _, err := h.run(ctx, ipt, "-w", "-N", chain); err != nil {
			if _, err2 := h.run(ctx, ipt, "-w", "-F", chain); err2 != nil {
				return fmt.Errorf("%s chain %s: %w", ipt, chain, err)
			}
		}
		st.Firewall = true
		for _, n := range networks {
			for _, rule := range [][]string{
				{"-i", n.Bridge, "-o", n.Bridge, "-j", "ACCEPT"},
				{"-i", n.Bridge, "-j", "DROP"},
				{"-o", n.Bridge, "-j", "DROP"},
			} {
				if _, err := h.run(ctx, append([]string{ipt, "-w", "-A", chain}, rule...)...); err != nil {
					return err
				}
			}
		}
		h.run(ctx, ipt, "-w", "-D", "FORWARD", "-j", chain) // absent is fine: re-inserted first
		if _, err := h.run(ctx, ipt, "-w", "-I", "FORWARD", "1", "-j", chain); err != nil {
			return err
		}
	}
	return nil
}

// clear removes what prepare recorded, best effort, in reverse order. The
// daemons it started go last, and only when the rest is gone: a second
// down needs them to retry.
func (h *libvirtHost) clear(ctx context.Context, st *hostState) error {
	var errs *multierror.Error
	if st.BootDir != "" {
		errs = multierror.Append(errs, h.removeOwn(st.BootDir, h.bootDir(), os.RemoveAll))
	}
	for i := len(st.Networks) - 1; i >= 0; i-- {
		n := st.Networks[i]
		h.virsh(ctx, "net-destroy", n) // inactive already is fine
		if _, err := h.virsh(ctx, "net-undefine", n); err != nil && !notFound(err) {
			errs = multierror.Append(errs, fmt.Errorf("network %s: %w", n, err))
		}
	}
	if st.Pool {
		errs = multierror.Append(errs, h.removePool(ctx, st.PoolPath))
	}
	if st.Firewall {
		for _, ipt := range []string{"iptables", "ip6tables"} {
			h.run(ctx, ipt, "-w", "-D", "FORWARD", "-j", chain)
			h.run(ctx, ipt, "-w", "-F", chain)
			h.run(ctx, ipt, "-w", "-X", chain)
		}
	}
	if len(st.Daemons) > 0 && errs.ErrorOrNil() == nil {
		errs = multierror.Append(errs, h.stopDaemons(ctx, st.Daemons))
		// libvirtd leaves its chains behind; ours to remove since ours ran.
		errs = multierror.Append(errs, removeEmptyLibvirtChains(ctx, h.run))
	}
	return errs.ErrorOrNil()
}

func (h *libvirtHost) removePool(ctx context.Context, path string) error {
	out, err := h.virsh(ctx, "vol-list", "--pool", PoolName)
	if err != nil {
		if notFound(err) {
			return nil
		}
		return err
	}
	for _, vol := range volumeNames(string(out)) {
		if _, err := h.virsh(ctx, "vol-delete", "--pool", PoolName, vol); err != nil {
			return fmt.Errorf("volume %s: %w", vol, err)
		}
	}
	h.virsh(ctx, "pool-destroy", PoolName)
	if _, err := h.virsh(ctx, "pool-undefine", PoolName); err != nil {
		return err
	}
	if path != "" {
		return h.removeOwn(path, h.poolPath, os.Remove) // empty now; a leftover file is worth an error
	}
	return nil
}

// bootDir is where up copies the box's kernel and initrd.
func (h *libvirtHost) bootDir() string { return BootDir(h.poolPath) }

// BootDir is the directory beside the storage pool that holds the box's
// kernel and initrd for qemu.
func BootDir(poolPath string) string { return filepath.Join(filepath.Dir(poolPath), "vagrant-boot") }

// removeOwn removes a path read from the state file only when it is the one
// this provider makes: a state file edited by hand or by someone else must
// not turn down into a removal of anything else.
func (h *libvirtHost) removeOwn(path, own string, remove func(string) error) error {
	if filepath.Clean(path) != filepath.Clean(own) {
		return fmt.Errorf("the state file names %s, which is not overlab's %s: left in place (remove it by hand if it is yours to remove)", path, own)
	}
	return remove(own)
}

func (h *libvirtHost) stopDaemons(ctx context.Context, daemons map[string]int) error {
	var errs *multierror.Error
	for _, bin := range []string{"libvirtd", "virtlogd"} {
		pid, ok := daemons[bin]
		if !ok || !isProcess(pid, bin) {
			continue
		}
		if err := terminate(pid); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("stopping %s (PID %d): %w", bin, pid, err))
			continue
		}
		if err := retry(ctx, 20*time.Second, func() error {
			if isProcess(pid, bin) {
				return fmt.Errorf("%s (PID %d) still runs", bin, pid)
			}
			return nil
		}); err != nil {
			errs = multierror.Append(errs, err)
		}
		h.logf("stopped %s (PID %d)", bin, pid)
	}
	return errs.ErrorOrNil()
}

// removeEmptyLibvirtChains deletes the LIBVIRT_* chains that libvirtd
// leaves in iptables and ip6tables once its networks are gone: the jumps
// to them, then the chains, only when every one of them is empty.
func removeEmptyLibvirtChains(ctx context.Context, run Runner) error {
	var errs *multierror.Error
	for _, ipt := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			out, err := run(ctx, ipt, "-w", "-t", table, "-S")
			if err != nil {
				continue
			}
			chains, jumps, nonEmpty := parseLibvirtChains(string(out))
			if nonEmpty {
				errs = multierror.Append(errs, fmt.Errorf("%s -t %s: LIBVIRT chains still hold rules; left in place", ipt, table))
				continue
			}
			for _, j := range jumps {
				run(ctx, append([]string{ipt, "-w", "-t", table, "-D"}, j...)...)
			}
			for _, c := range chains {
				if _, err := run(ctx, ipt, "-w", "-t", table, "-X", c); err != nil {
					errs = multierror.Append(errs, err)
				}
			}
		}
	}
	return errs.ErrorOrNil()
}

// parseLibvirtChains reads `iptables -S` output: the LIBVIRT_ chains, the
// rules that jump to them (as -D arguments), and whether any of them holds
// a rule of its own.
func parseLibvirtChains(s string) (chains []string, jumps [][]string, nonEmpty bool) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "-N" && strings.HasPrefix(f[1], "LIBVIRT_"):
			chains = append(chains, f[1])
		case len(f) >= 2 && f[0] == "-A" && strings.HasPrefix(f[1], "LIBVIRT_"):
			nonEmpty = true
		case len(f) >= 4 && f[0] == "-A" && f[len(f)-2] == "-j" && strings.HasPrefix(f[len(f)-1], "LIBVIRT_"):
			jumps = append(jumps, f[1:])
		}
	}
	return chains, jumps, nonEmpty
}

// volumeNames reads the table of `virsh vol-list`: a header, a rule of
// dashes, then one "name path" line per volume.
func volumeNames(table string) []string {
	var names []string
	lines := strings.Split(table, "\n")
	for i, line := range lines {
		f := strings.Fields(line)
		if i < 2 || len(f) == 0 {
			continue
		}
		names = append(names, f[0])
	}
	return names
}

func notFound(err error) bool {
	s := err.Error()
	return strings.Contains(s, "not found") || strings.Contains(s, "no network with matching name") ||
		strings.Contains(s, "no storage pool with matching name")
}

// runningPID returns the PID in pidfile when that process runs bin, else 0.
func runningPID(pidfile, bin string) int {
	data, err := os.ReadFile(pidfile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || !isProcess(pid, bin) {
		return 0
	}
	return pid
}

func waitPID(ctx context.Context, pidfile, bin string) (int, error) {
	var pid int
	err := retry(ctx, 15*time.Second, func() error {
		if pid = runningPID(pidfile, bin); pid == 0 {
			return fmt.Errorf("%s wrote no PID to %s", bin, pidfile)
		}
		return nil
	})
	return pid, err
}

// isProcess says whether pid runs the program bin (guards against a PID
// that was reused after the daemon ended).
func isProcess(pid int, bin string) bool {
	exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
	return err == nil && filepath.Base(exe) == bin
}

// retry calls fn until it succeeds, the context ends or limit passes.
func retry(ctx context.Context, limit time.Duration, fn func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%v)", err, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}
