package vagrant

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Machine is one VM as Vagrant reports it.
type Machine struct {
	Name  string `json:"name" yaml:"name"`
	State string `json:"state" yaml:"state"` // running, shutoff, not_created, ...
}

// Running says whether the VM is up.
func (m Machine) Running() bool { return m.State == "running" }

// Status asks Vagrant for the state of each VM of the cluster.
func (p *Provider) Status(ctx context.Context, c Cluster) ([]Machine, error) {
	s, err := readState(c)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no VMs of overlab vagrant up in %s (%s is missing)", c.Dir, c.statePath())
	}
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := p.vagrantCmd(sctx, c.Dir, s, false, "status", "--machine-readable")
	if err != nil {
		return nil, fmt.Errorf("vagrant status: %w", err)
	}
	return parseStatus(out), nil
}

// Inventory is the inventory that up wrote for the cluster, or "".
func (p *Provider) Inventory(c Cluster) string {
	s, err := readState(c)
	if err != nil {
		return ""
	}
	return s.Inventory
}

// parseStatus reads `vagrant status --machine-readable`:
// timestamp,target,type,data lines; "state" lines name each machine's.
func parseStatus(out []byte) []Machine {
	var ms []Machine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ",", 4)
		if len(f) == 4 && f[1] != "" && f[2] == "state" {
			ms = append(ms, Machine{Name: f[1], State: f[3]})
		}
	}
	return ms
}
