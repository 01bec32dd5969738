package vagrant

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/inventory/importer"
)

// MaxNodes is the most VMs the Vagrantfile makes.
const MaxNodes = 20

// Providers are the Vagrant providers the Vagrantfile has settings for:
// libvirt (run here), VirtualBox, and on Apple silicon VMware Desktop and
// Parallels (validated only; see docs/vagrant.md).
var Providers = []string{"libvirt", "virtualbox", "vmware_desktop", "parallels"}

// Validate checks a cluster's parameters before anything is made.
func (c Cluster) Validate() error {
	if c.Nodes < 1 || c.Nodes > MaxNodes {
		return fmt.Errorf("--nodes %d: use 1 to %d", c.Nodes, MaxNodes)
	}
	if !filepath.IsAbs(c.Dir) {
		return fmt.Errorf("vagrant directory %q: want an absolute path", c.Dir)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "Vagrantfile")); err != nil {
		return fmt.Errorf("no Vagrantfile in %s; pass --dir with the directory of overlab's Vagrantfile", c.Dir)
	}
	if c.Provider != "" && !slices.Contains(Providers, c.Provider) {
		return fmt.Errorf("--provider %q: use one of %s (or leave it out for Vagrant's choice)", c.Provider, strings.Join(Providers, ", "))
	}
	return checkOverwritable(c.InventoryPath())
}

// Up brings the VMs up, writes their inventory and records their host
// keys. It returns the inventory. When it fails, what it made is removed
// (unless WithKeepOnError), so a retry starts clean.
func (p *Provider) Up(ctx context.Context, c Cluster) (*inventory.Inventory, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &state{Nodes: c.Nodes, Provider: c.Provider, Box: c.Box, Inventory: c.InventoryPath(), KnownHosts: c.KnownHosts()}
	if s.Provider == "libvirt" && s.Box == "" {
		s.Box = Box
	}
	inv, err := p.up(ctx, c, s)
	if err != nil && !p.keepOnError {
		p.logger.Warnf("vagrant up failed; removing what it made (--keep-on-error keeps it)")
		// The caller's context may be what ended: clean up regardless.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
		defer cancel()
		if derr := p.down(dctx, c, s); derr != nil {
			err = fmt.Errorf("%w; and removing it: %v", err, derr)
		}
	}
	return inv, err
}

func (p *Provider) up(ctx context.Context, c Cluster, s *state) (*inventory.Inventory, error) {
	if s.Provider == "libvirt" {
		if err := p.prepareLibvirt(ctx, c, s); err != nil {
			return nil, err
		}
	}
	// Written first, so that down finds everything even after a crash.
	if err := writeState(c, s); err != nil {
		return nil, err
	}
	start := time.Now()
	args := []string{"up"}
	if s.Provider != "" {
		args = append(args, "--provider", s.Provider)
	}
	upCtx, cancel := context.WithTimeout(ctx, p.upTimeout)
	defer cancel()
	if _, err := p.vagrantCmd(upCtx, c.Dir, s, true, args...); err != nil {
		return nil, fmt.Errorf("vagrant up: %w", err)
	}
	p.logger.V(0).Infof("vagrant up: %d VMs in %s", c.Nodes, time.Since(start).Round(time.Second))
	inv, err := p.writeInventory(ctx, c, s)
	if err != nil {
		return nil, err
	}
	if p.hostKeys != nil {
		p.logger.V(0).Infof("recording the VMs' host keys in %s (trusted on first contact, for this lab's file only; Vagrant itself turns host-key checking off)", s.KnownHosts)
		if err := p.hostKeys(ctx, inv); err != nil {
			return nil, fmt.Errorf("recording host keys: %w", err)
		}
	}
	return inv, nil
}

func (p *Provider) prepareLibvirt(ctx context.Context, c Cluster, s *state) error {
	s.Libvirt = &hostState{}
	h := &libvirtHost{run: p.run, poolPath: p.poolPath, logf: p.logger.V(0).Infof}
	err := h.prepare(ctx, s.Libvirt)
	if werr := writeState(c, s); err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("preparing libvirt: %w", err)
	}
	if err := p.checkBox(ctx, c, s); err != nil {
		return err
	}
	if err := p.copyBoot(s); err != nil {
		return fmt.Errorf("the box's kernel: %w", err)
	}
	return writeState(c, s)
}

// copyBoot puts the box's kernel and initrd where qemu, which runs as its
// own user, can read them: the box lives in root's home.
func (p *Provider) copyBoot(s *state) error {
	if s.Box != Box {
		return nil
	}
	home := os.Getenv("VAGRANT_HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		home = filepath.Join(h, ".vagrant.d")
	}
	from := filepath.Join(home, "boxes", strings.ReplaceAll(Box, "/", "-VAGRANTSLASH-"), "0", "libvirt")
	to := BootDir(p.poolPath)
	s.Libvirt.BootDir = to
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"vmlinuz", "initrd"} {
		data, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			return fmt.Errorf("%w (rebuild the box: make vagrant-box)", err)
		}
		if err := os.WriteFile(filepath.Join(to, f), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// checkBox refuses early when overlab's box was never built: vagrant would
// try to download it, and this lab has no internet.
func (p *Provider) checkBox(ctx context.Context, c Cluster, s *state) error {
	if s.Box != Box {
		return nil
	}
	out, err := p.vagrantCmd(ctx, c.Dir, s, false, "box", "list", "--machine-readable")
	if err != nil {
		return err
	}
	if !bytes.Contains(out, []byte(",box-name,"+Box+"\n")) {
		return fmt.Errorf("box %s is not in Vagrant: build it with `make vagrant-box` (offline, about 3 min)", Box)
	}
	return nil
}

func (p *Provider) writeInventory(ctx context.Context, c Cluster, s *state) (*inventory.Inventory, error) {
	sshCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	sshConfig, err := p.vagrantCmd(sshCtx, c.Dir, s, false, "ssh-config")
	if err != nil {
		return nil, fmt.Errorf("vagrant ssh-config: %w", err)
	}
	machines, err := importer.ParseVagrantSSHConfig(bytes.NewReader(sshConfig))
	if err != nil {
		return nil, fmt.Errorf("vagrant ssh-config: %w", err)
	}
	inv, err := importer.FromVagrant(machines, importer.VagrantOptions{Addresses: importer.VagrantPlan(c.Nodes), KnownHosts: s.KnownHosts})
	if err != nil {
		return nil, fmt.Errorf("vagrant ssh-config: %w", err)
	}
	inv.Defaults.TimeScale = p.timeScale(s)
	data, err := inventory.MarshalYAML(inv, importer.VagrantHeader)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(s.Inventory, data, 0o644); err != nil {
		return nil, err
	}
	inv.Source = s.Inventory
	p.logger.V(0).Infof("wrote the inventory of %d VMs to %s", len(inv.Hosts), s.Inventory)
	return inv, nil
}

const generatedPrefix = "# Generated by overlab from vagrant"

// checkOverwritable refuses to replace an inventory that overlab did not
// generate from Vagrant: it may be the user's own overlab.yaml.
func checkOverwritable(path string) error {
	data, err := os.ReadFile(path)
	if err != nil || bytes.HasPrefix(data, []byte(generatedPrefix)) {
		return nil // absent (or unreadable: the write will say), or ours
	}
	return fmt.Errorf("%s exists and was not written by overlab vagrant up; pass -o FILE to write the inventory elsewhere", path)
}

// generated says whether overlab vagrant up wrote path.
func generated(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && strings.HasPrefix(string(data), generatedPrefix)
}

// timeScale is how much slower than local hosts these VMs answer: VMs
// take longer than namespaces for every engine operation, and VMs under
// software emulation (TCG) much longer (an overlay attach up to 30 s).
func (p *Provider) timeScale(s *state) float64 {
	if s.Provider == "libvirt" && p.driver() == "qemu" {
		return 4
	}
	return 2
}

// driver is the libvirt driver the Vagrantfile picks: kvm only when the
// CPU offers hardware virtualization (a /dev/kvm alone can be a software
// hypervisor under which stock kernels do not boot).
func (p *Provider) driver() string {
	if p.libvirtDriver != "" {
		return p.libvirtDriver
	}
	cpu, _ := os.ReadFile("/proc/cpuinfo")
	if _, err := os.Stat("/dev/kvm"); err == nil && hwVirt.Match(cpu) {
		return "kvm"
	}
	return "qemu"
}

var hwVirt = regexp.MustCompile(`\b(vmx|svm)\b`)
