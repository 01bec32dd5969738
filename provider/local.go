//go:build linux

package provider

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/log"
)

// LocalConfig are the parameters of one local lab.
type LocalConfig struct {
	Name      string
	Hosts     int
	Subnet    string // a CIDR
	StateRoot string
	Engine    string // a generation of local.EngineNames, "" for this machine's
	// EngineLogLevel is each dockerd's --log-level, "" for warn.
	EngineLogLevel string
	Wait           time.Duration
	Keep           bool // leave a lab that failed to come up in place
	Logger         log.Logger
}

type localHosts struct{ c LocalConfig }

// Local is a local lab: real Docker hosts in network namespaces on this
// machine. The name is checked at once, as every path of the lab derives
// from it.
func Local(c LocalConfig) (Hosts, error) {
	if err := local.ValidName(c.Name); err != nil {
		return nil, err
	}
	if c.Logger == nil {
		c.Logger = log.NoOp{}
	}
	return &localHosts{c: c}, nil
}

func (l *localHosts) provider() *local.Provider {
	return local.New(local.WithLogger(l.c.Logger), local.WithReadyTimeout(l.c.Wait), local.WithKeepOnError(l.c.Keep))
}

func (l *localHosts) Up(ctx context.Context) (string, error) {
	subnet, err := netip.ParsePrefix(l.c.Subnet)
	if err != nil {
		return "", fmt.Errorf("--subnet %q: %v (give a CIDR such as 192.168.56.0/24)", l.c.Subnet, err)
	}
	engine, err := local.ParseEngine(l.c.Engine)
	if err != nil {
		return "", err
	}
	lab := local.Lab{Name: l.c.Name, Hosts: l.c.Hosts, Subnet: subnet, StateRoot: l.c.StateRoot, Engine: engine, EngineLogLevel: l.c.EngineLogLevel}
	if _, err := l.provider().Up(ctx, lab); err != nil {
		return "", err
	}
	return lab.InventoryPath(), nil
}

func (l *localHosts) Down(ctx context.Context) error {
	lab, err := local.Load(l.c.StateRoot, l.c.Name)
	if err != nil {
		// Nothing recorded: still clean whatever the name left behind.
		lab = local.Lab{Name: l.c.Name, StateRoot: l.c.StateRoot}
	}
	if !lab.Exists() {
		l.c.Logger.V(0).Infof("lab %q: nothing to remove", l.c.Name)
		return nil
	}
	start := time.Now()
	if err := l.provider().Down(ctx, lab); err != nil {
		return err
	}
	l.c.Logger.V(0).Infof("lab %q removed in %v", l.c.Name, time.Since(start).Round(time.Millisecond))
	return nil
}

func (l *localHosts) Status(ctx context.Context) ([]Host, error) {
	lab, err := local.Load(l.c.StateRoot, l.c.Name)
	if err != nil {
		return nil, err
	}
	st, err := l.provider().Status(ctx, lab)
	if err != nil {
		return nil, err
	}
	hosts := make([]Host, 0, len(st))
	for _, h := range st {
		engine := "engine " + upDown(h.Engine)
		if h.Engine && h.EngineVersion != "" {
			engine = "engine " + h.EngineVersion
		}
		up := h.Engine && h.SSHD
		hosts = append(hosts, Host{Name: h.Name, Address: h.Address, State: upDown(up), Up: up,
			Detail: fmt.Sprintf("%s, sshd %s, %d MiB", engine, upDown(h.SSHD), h.MemoryKB/1024)})
	}
	return hosts, nil
}

func (l *localHosts) Inventory() string {
	return local.Lab{Name: l.c.Name, StateRoot: l.c.StateRoot}.InventoryPath()
}
