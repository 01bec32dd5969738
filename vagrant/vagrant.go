package vagrant

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/overlab/overlab/internal/syncbuf"

	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/log"
)

// Box is the box that scripts/vagrant-box.sh builds for libvirt.
const Box = "overlab/debian12"

// Runner runs a program on this machine and returns its combined output,
// or an error that carries it.
type Runner func(ctx context.Context, args ...string) ([]byte, error)

// HostKeyRecorder makes first contact with fresh VMs, recording their host
// keys in the inventory's known_hosts.
type HostKeyRecorder func(ctx context.Context, inv *inventory.Inventory) error

// Teardown removes the lab from the VMs of an inventory before they go, so
// that nothing outlives them in other labs' state.
type Teardown func(ctx context.Context, inventoryPath string) error

// Provider drives Vagrant for overlab: VMs, their inventory, and (with
// libvirt) what this machine needs to run them safely.
type Provider struct {
	logger        log.Logger
	progress      io.Writer
	vagrant       string // program name or path
	run           Runner
	hostKeys      HostKeyRecorder
	teardown      Teardown
	upTimeout     time.Duration
	poolPath      string
	keepOnError   bool
	libvirtDriver string
}

// Option configures a Provider.
type Option func(*Provider)

// WithLogger injects the logger.
func WithLogger(l log.Logger) Option { return func(p *Provider) { p.logger = l } }

// WithProgress is where Vagrant's own progress goes (default: discarded).
func WithProgress(w io.Writer) Option { return func(p *Provider) { p.progress = w } }

// WithRunner runs virsh, iptables and the libvirt daemons (tests fake it).
func WithRunner(r Runner) Option { return func(p *Provider) { p.run = r } }

// WithHostKeys sets how host keys are recorded after up (default: not at all).
func WithHostKeys(r HostKeyRecorder) Option { return func(p *Provider) { p.hostKeys = r } }

// WithTeardown sets what runs on the VMs before they are destroyed.
func WithTeardown(t Teardown) Option { return func(p *Provider) { p.teardown = t } }

// WithUpTimeout bounds vagrant up (boot, and provisioning with other boxes).
func WithUpTimeout(d time.Duration) Option { return func(p *Provider) { p.upTimeout = d } }

// WithPoolPath is where overlab's libvirt storage pool keeps the disks.
func WithPoolPath(path string) Option { return func(p *Provider) { p.poolPath = path } }

// WithKeepOnError leaves VMs that failed to come up, for debugging.
func WithKeepOnError(keep bool) Option { return func(p *Provider) { p.keepOnError = keep } }

// WithLibvirtDriver sets OVERLAB_LIBVIRT_DRIVER (kvm or qemu); "" lets the
// Vagrantfile detect it.
func WithLibvirtDriver(d string) Option { return func(p *Provider) { p.libvirtDriver = d } }

// New returns a Provider.
func New(opts ...Option) *Provider {
	p := &Provider{
		logger: log.NoOp{}, progress: io.Discard, vagrant: "vagrant", run: execx.Output,
		upTimeout: 30 * time.Minute, poolPath: "/var/lib/overlab/vagrant-pool",
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Cluster is one set of VMs made from one Vagrantfile.
type Cluster struct {
	Dir      string // the Vagrantfile's directory, absolute
	Nodes    int
	Provider string // Vagrant provider: "" (Vagrant's default), libvirt, virtualbox
	Box      string // "" for the Vagrantfile's default (Box with libvirt)
	Output   string // the inventory to write; "" for DIR/overlab.yaml
}

// InventoryPath is where up writes the inventory.
func (c Cluster) InventoryPath() string {
	if c.Output != "" {
		return c.Output
	}
	return filepath.Join(c.Dir, inventory.DefaultFile)
}

// KnownHosts is the lab's own known_hosts file.
func (c Cluster) KnownHosts() string { return KnownHostsIn(c.Dir) }

// KnownHostsIn is the known_hosts file of a lab whose files live in dir.
func KnownHostsIn(dir string) string { return filepath.Join(dir, ".overlab", "known_hosts") }

func (c Cluster) statePath() string { return filepath.Join(c.Dir, ".overlab", "vagrant.json") }

// state is what up leaves for down: Vagrant only knows the machines that
// the Vagrantfile defines for OVERLAB_NODES, so destroying with another
// count would leave VMs behind; and the libvirt side records what overlab
// made on this machine.
type state struct {
	Nodes      int        `json:"nodes"`
	Provider   string     `json:"provider,omitempty"`
	Box        string     `json:"box,omitempty"`
	Inventory  string     `json:"inventory,omitempty"`
	KnownHosts string     `json:"known_hosts"`
	Libvirt    *hostState `json:"libvirt,omitempty"`
}

func readState(c Cluster) (*state, error) {
	data, err := os.ReadFile(c.statePath())
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w (remove it after destroying the VMs by hand)", c.statePath(), err)
	}
	return &s, nil
}

func writeState(c Cluster, s *state) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(c.statePath(), append(data, '\n'), 0o644)
}

// env is the environment that the Vagrantfile reads.
func (p *Provider) env(s *state) []string {
	env := append(os.Environ(),
		"OVERLAB_NODES="+strconv.Itoa(s.Nodes),
		"VAGRANT_CHECKPOINT_DISABLE=1", // no version check on the internet
		"VAGRANT_NO_COLOR=1",
	)
	if s.Box != "" {
		env = append(env, "OVERLAB_BOX="+s.Box)
	}
	if s.Provider == "libvirt" {
		env = append(env, "OVERLAB_LIBVIRT_POOL="+PoolName, "OVERLAB_LIBVIRT_MGMT="+MgmtNetwork)
		if s.Libvirt != nil && s.Libvirt.BootDir != "" {
			env = append(env, "OVERLAB_LIBVIRT_BOOT="+s.Libvirt.BootDir)
		}
		if p.libvirtDriver != "" {
			env = append(env, "OVERLAB_LIBVIRT_DRIVER="+p.libvirtDriver)
		}
	}
	return env
}

// vagrant runs vagrant in dir. With stream, its output goes to the
// progress writer; otherwise stdout is returned and a failure carries
// everything vagrant printed.
func (p *Provider) vagrantCmd(ctx context.Context, dir string, s *state, stream bool, args ...string) ([]byte, error) {
	path, err := exec.LookPath(p.vagrant)
	if err != nil {
		return nil, errors.New("vagrant is not installed (Debian/Ubuntu: apt-get install vagrant vagrant-libvirt, or https://developer.hashicorp.com/vagrant/install), or not on PATH")
	}
	c := exec.CommandContext(ctx, path, args...)
	c.Dir = dir
	c.Env = p.env(s)
	c.WaitDelay = 10 * time.Second
	if stream {
		c.Stdout, c.Stderr = p.progress, p.progress
		if err := c.Run(); err != nil {
			return nil, execx.NewCommandError("", append([]string{"vagrant"}, args...), nil, err)
		}
		return nil, nil
	}
	return captured(c, append([]string{"vagrant"}, args...))
}

// captured runs c and returns its stdout. Its stdout and stderr are copied
// by two goroutines of os/exec: the combined record they share is locked.
func captured(c *exec.Cmd, args []string) ([]byte, error) {
	var stdout bytes.Buffer
	combined := &syncbuf.Buffer{}
	c.Stdout = io.MultiWriter(&stdout, combined)
	c.Stderr = combined
	if err := c.Run(); err != nil {
		return nil, execx.NewCommandError("", args, combined.Bytes(), err)
	}
	return stdout.Bytes(), nil
}

// removeIfExists removes path, and says whether it was there.
func removeIfExists(path string) (bool, error) {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
