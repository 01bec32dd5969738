package vagrant

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-multierror"
)

// Down removes the lab from the VMs (the Teardown), destroys them, removes
// what overlab made on this machine for them (libvirt networks, pool and
// volumes, firewall chain, the daemons it started) and forgets their host
// keys and inventory. nodes > 0 overrides the recorded count. Safe to
// repeat.
func (p *Provider) Down(ctx context.Context, c Cluster, nodes int) error {
	s, err := readState(c)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if s == nil {
		if !vagrantMachinesExist(c.Dir) {
			p.logger.V(0).Infof("no VMs of overlab vagrant up in %s: nothing to remove", c.Dir)
			return nil
		}
		s = &state{Nodes: 3, KnownHosts: c.KnownHosts()}
	}
	if nodes > 0 {
		s.Nodes = nodes
	}
	if p.teardown != nil && s.Inventory != "" && generated(s.Inventory) {
		if err := p.teardown(ctx, s.Inventory); err != nil {
			p.logger.Warnf("tearing the lab down before destroying the VMs: %v", err)
		}
	}
	return p.down(ctx, c, s)
}

func (p *Provider) down(ctx context.Context, c Cluster, s *state) error {
	var errs *multierror.Error
	dctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	h := &libvirtHost{run: p.run, poolPath: p.poolPath, logf: p.logger.V(0).Infof}
	if s.Libvirt != nil {
		// Vagrant and virsh need libvirtd, which may have gone since up.
		if err := h.startDaemons(dctx, s.Libvirt); err != nil {
			return err
		}
		if err := writeState(c, s); err != nil {
			return err
		}
	}
	if _, err := p.vagrantCmd(dctx, c.Dir, s, true, "destroy", "-f"); err != nil {
		// Without vagrant's record the rest still goes: the libvirt side
		// removes the pool's volumes and the networks regardless.
		errs = multierror.Append(errs, fmt.Errorf("vagrant destroy: %w", err))
	}
	if s.Libvirt != nil {
		if err := h.clear(dctx, s.Libvirt); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("libvirt: %w", err))
		}
	}
	if errs.ErrorOrNil() != nil {
		// Keep the record: a second down retries what is left.
		writeState(c, s)
		return errs.ErrorOrNil()
	}
	// The next VMs get new host keys: keeping the old ones would make
	// them look like an attack.
	var removed []string
	for _, path := range []string{s.KnownHosts, c.statePath(), generatedOnly(s.Inventory)} {
		if path == "" {
			continue
		}
		ok, err := removeIfExists(path)
		if err != nil {
			errs = multierror.Append(errs, err)
		} else if ok {
			removed = append(removed, path)
		}
	}
	removeIfExists(filepath.Dir(c.statePath())) // only when empty
	p.logger.V(0).Infof("destroyed %d VMs; removed %v", s.Nodes, removed)
	return errs.ErrorOrNil()
}

func generatedOnly(path string) string {
	if path != "" && generated(path) {
		return path
	}
	return ""
}

// vagrantMachinesExist says whether Vagrant knows a created machine in dir:
// it keeps each one's id in .vagrant/machines/NAME/PROVIDER/id.
func vagrantMachinesExist(dir string) bool {
	ids, _ := filepath.Glob(filepath.Join(dir, ".vagrant", "machines", "*", "*", "id"))
	return len(ids) > 0
}
