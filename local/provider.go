//go:build linux

package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/log"
)

// Provider creates, inspects and removes local labs.
type Provider struct {
	bin         Binaries
	logger      log.Logger
	readyWait   time.Duration
	keepOnError bool
	rootfs      RootfsCache
}

// Option configures a Provider.
type Option func(*Provider)

// WithLogger injects the logger.
func WithLogger(l log.Logger) Option { return func(p *Provider) { p.logger = l } }

// WithReadyTimeout bounds the wait for every engine and sshd.
func WithReadyTimeout(d time.Duration) Option { return func(p *Provider) { p.readyWait = d } }

// WithKeepOnError leaves a lab that failed to come up in place, for debugging.
func WithKeepOnError(keep bool) Option { return func(p *Provider) { p.keepOnError = keep } }

// WithBinaries overrides where the provider finds its programs.
func WithBinaries(b Binaries) Option { return func(p *Provider) { p.bin = b } }

// New returns a Provider.
func New(opts ...Option) *Provider {
	p := &Provider{bin: defaultBinaries(), logger: log.NoOp{}, readyWait: 60 * time.Second,
		rootfs: RootfsCache{Dir: DefaultRootfsCache}}
	for _, o := range opts {
		o(p)
	}
	p.rootfs.Logger = p.logger
	return p
}

// Rootfs returns the engine's root filesystem, building it into the cache
// first if needed; "" for the machine's own engine.
func (p *Provider) Rootfs(ctx context.Context, e Engine) (string, error) {
	if !e.Chrooted() {
		return "", nil
	}
	return p.rootfs.Ensure(ctx, *e.Rootfs)
}

// Host is one running lab host.
type Host struct {
	Name    string `json:"name" yaml:"name"`
	Address string `json:"address" yaml:"address"`
	Netns   string `json:"netns" yaml:"netns"`
}

// state is what the lab records on disk, so that down and status work from
// the name alone and after a crash.
type state struct {
	Name    string    `json:"name"`
	Subnet  string    `json:"subnet"`
	Hosts   int       `json:"hosts"`
	Engine  string    `json:"engine,omitempty"`
	Created time.Time `json:"created"`
}

func (l Lab) statePath() string { return filepath.Join(l.StateDir(), "lab.json") }

// Load reads a lab's recorded parameters from its state directory.
func Load(stateRoot, name string) (Lab, error) {
	l := Lab{Name: name, StateRoot: stateRoot}
	if _, err := l.ownStateDir(); err != nil {
		return l, err
	}
	b, err := os.ReadFile(l.statePath())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return l, fmt.Errorf("no local lab %q (no %s): start one with `overlab local up --name %s`", name, l.statePath(), name)
		}
		return l, err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return l, fmt.Errorf("%s: %w", l.statePath(), err)
	}
	l.Hosts = s.Hosts
	l.Subnet, err = netip.ParsePrefix(s.Subnet)
	if err != nil {
		return l, fmt.Errorf("%s: subnet: %w", l.statePath(), err)
	}
	if l.Engine, err = ParseEngine(s.Engine); err != nil {
		return l, fmt.Errorf("%s: %w", l.statePath(), err)
	}
	return l, nil
}

// Preflight checks what `up` needs for engine e and says how to get it.
// A chrooted engine brings its own dockerd, sshd and iptables.
func (p *Provider) Preflight(e Engine) error {
	if os.Geteuid() != 0 {
		return errors.New("the local provider creates network namespaces and runs dockerd: run it as root (sudo)")
	}
	var result *multierror.Error
	need := []struct{ bin, pkg string }{
		{p.bin.IP, "iproute2"},
		{p.bin.Nsenter, "util-linux"},
		{p.bin.Unshare, "util-linux"},
	}
	if !e.Chrooted() {
		need = append(need, []struct{ bin, pkg string }{
			{p.bin.Dockerd, "docker.io"},
			{p.bin.Sshd, "openssh-server"},
			{p.bin.Iptables, "iptables"},
		}...)
	}
	for _, n := range need {
		path, err := exec.LookPath(n.bin)
		if err != nil && n.bin == "sshd" {
			path, err = exec.LookPath("/usr/sbin/sshd")
			if err == nil {
				p.bin.Sshd = path
			}
		}
		if err != nil {
			result = multierror.Append(result, fmt.Errorf("%s not found: install it with `apt-get install -y %s` (or run `make setup`)", n.bin, n.pkg))
			continue
		}
		if n.bin == "sshd" {
			p.bin.Sshd = path // sshd wants an absolute path to re-exec itself
		}
	}
	return result.ErrorOrNil()
}

// Up creates the lab, cleaning leftovers of an earlier run of the same name
// first, and returns once every engine answers and every sshd accepts the
// lab key with strict host key checking.
func (p *Provider) Up(ctx context.Context, l Lab) ([]Host, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if err := p.Preflight(l.Engine); err != nil {
		return nil, err
	}
	// The root filesystem first: building it takes a minute and needs no lab.
	lower, err := p.Rootfs(ctx, l.Engine)
	if err != nil {
		return nil, err
	}
	if err := l.Engine.checkVersion(ctx, p.bin.Dockerd, lower); err != nil {
		return nil, err
	}
	if l.Exists() {
		p.logger.V(0).Infof("cleaning leftovers of an earlier run of lab %q", l.Name)
		if err := p.Down(ctx, l); err != nil {
			return nil, fmt.Errorf("cleaning leftovers of lab %q: %w", l.Name, err)
		}
	}
	machine, err := machinePrefixes()
	if err != nil {
		return nil, err
	}
	if hits := overlapping(l.Subnet, machine); len(hits) > 0 {
		sort.Strings(hits)
		return nil, fmt.Errorf("underlay subnet %s overlaps what is already on this machine (%s): choose another with --subnet, e.g. --subnet 192.168.57.0/24", l.Subnet, strings.Join(hits, "; "))
	}
	raised, err := raiseNeighLimits("/")
	for _, r := range raised {
		p.logger.V(0).Infof("raised the kernel's neighbour table limit for lab hosts: %s", r)
	}
	if err != nil {
		return nil, err
	}
	hosts, err := p.create(ctx, l, lower)
	if err != nil && !p.keepOnError {
		if derr := p.Down(context.WithoutCancel(ctx), l); derr != nil {
			err = multierror.Append(err, fmt.Errorf("removing the half-made lab: %w", derr))
		}
	}
	return hosts, err
}

// Exists reports whether anything of the lab is on the machine: its state
// directory, its bridge or one of its namespaces.
func (l Lab) Exists() bool {
	if _, err := l.ownStateDir(); err != nil {
		return false
	}
	if _, err := os.Stat(l.StateDir()); err == nil {
		return true
	}
	if linkExists(l.Bridge()) {
		return true
	}
	return len(l.leftoverNetns()) > 0
}

// leftoverNetns lists the host numbers of this lab's namespaces on the machine.
func (l Lab) leftoverNetns() []int {
	ents, _ := os.ReadDir("/run/netns")
	re := l.NetnsRE()
	var out []int
	for _, e := range ents {
		if m := re.FindStringSubmatch(e.Name()); m != nil {
			var i int
			fmt.Sscan(m[1], &i)
			out = append(out, i)
		}
	}
	return out
}

func (p *Provider) create(ctx context.Context, l Lab, lower string) ([]Host, error) {
	start := time.Now()
	if err := p.prepare(ctx, l); err != nil {
		return nil, err
	}
	holders, err := p.startHosts(ctx, l, lower)
	if err != nil {
		return nil, err
	}
	p.logger.V(1).Infof("lab %q: %d hosts started in %v, waiting for engines and sshd", l.Name, l.Hosts, time.Since(start).Round(time.Millisecond))
	if err := p.waitHosts(ctx, l, holders); err != nil {
		return nil, err
	}
	if err := l.writeInventory(); err != nil {
		return nil, err
	}
	hosts := make([]Host, 0, l.Hosts)
	for i := 1; i <= l.Hosts; i++ {
		hosts = append(hosts, Host{Name: HostName(i), Address: l.HostAddr(i).String(), Netns: l.Netns(i)})
	}
	engine := "this machine's engine"
	if l.Engine.Name != "" {
		engine = "engine " + l.Engine.Name
	}
	p.logger.V(0).Infof("lab %q: %d hosts up in %v (%s)", l.Name, l.Hosts, time.Since(start).Round(time.Millisecond), engine)
	return hosts, nil
}

// prepare writes what the hosts start from (state, keys, sshd configs) and
// makes the underlay bridge.
func (p *Provider) prepare(ctx context.Context, l Lab) error {
	// Traversable, not listable: sshd reads authorized_keys/<user> as that
	// user. Keys and host directories stay private to root.
	if err := os.MkdirAll(l.StateDir(), 0o711); err != nil {
		return err
	}
	st := state{Name: l.Name, Subnet: l.Subnet.String(), Hosts: l.Hosts, Engine: l.Engine.Name, Created: time.Now().UTC()}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(l.statePath(), b, 0o600); err != nil {
		return err
	}
	if err := p.writeKeys(l); err != nil {
		return err
	}
	if err := l.createBridge(ctx, p.bin); err != nil {
		return fmt.Errorf("underlay bridge %s: %w", l.Bridge(), err)
	}
	return nil
}

// startHosts wires every host to the bridge and starts it; holders[i] is
// host i's holder process (index 0 unused).
func (p *Provider) startHosts(ctx context.Context, l Lab, lower string) ([]*exec.Cmd, error) {
	holders := make([]*exec.Cmd, l.Hosts+1)
	err := p.eachHost(ctx, l, func(i int) error {
		if err := l.wireHost(ctx, p.bin, i); err != nil {
			return fmt.Errorf("network: %w", err)
		}
		cmd, err := p.startHost(l, i, lower)
		holders[i] = cmd
		return err
	})
	if err != nil {
		return nil, err
	}
	return holders, nil
}

// waitHosts waits, within the ready timeout, until every host's engine
// answers and its sshd accepts the lab key; it gives up on a host early
// when its holder or dockerd launcher has died.
func (p *Provider) waitHosts(ctx context.Context, l Lab, holders []*exec.Cmd) error {
	probe, err := l.newSSHProbe()
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, p.readyWait)
	defer cancel()
	return p.eachHost(wctx, l, func(i int) error {
		pid := holders[i].Process.Pid
		launched := filepath.Join(l.HostDir(i), "dockerd.launch.pid")
		r := probe.waitReady(wctx, l.HostAddr(i).String(), func() bool {
			if !alive(pid) {
				return false
			}
			d := readPID(launched)
			return d == 0 || alive(d)
		})
		if r.Err == nil {
			return nil
		}
		return l.notReady(i, r, p.readyWait)
	})
}

// notReady says which of host i's daemons did not answer, with the last
// lines of its log and of the holder's: the cause is usually there.
func (l Lab) notReady(i int, r readiness, wait time.Duration) error {
	what := "sshd"
	logFile := filepath.Join(l.HostDir(i), "sshd.log")
	if r.SSH {
		what, logFile = "engine", filepath.Join(l.HostDir(i), "dockerd.log")
	}
	msg := fmt.Sprintf("%s did not answer within %v: %v", what, wait, r.Err)
	if tail := fileTail(logFile, 10); tail != "" {
		msg += "\n--- last lines of " + logFile + " ---\n" + tail
	}
	if tail := fileTail(filepath.Join(l.HostDir(i), "holder.log"), 5); tail != "" {
		msg += "\n--- " + filepath.Join(l.HostDir(i), "holder.log") + " ---\n" + tail
	}
	return errors.New(msg)
}

// eachHost runs fn for hosts 1..N concurrently and reports every host's
// error, prefixed with its name.
func (p *Provider) eachHost(ctx context.Context, l Lab, fn func(i int) error) error {
	names := make([]string, l.Hosts)
	for k := range names {
		names[k] = HostName(k + 1)
	}
	return fanout.Each(ctx, names, func(_ context.Context, k int) error { return fn(k + 1) })
}

func (p *Provider) writeKeys(l Lab) error {
	if err := os.MkdirAll(l.AuthorizedKeysDir(), 0o711); err != nil {
		return err
	}
	userKey, err := newKey(l.KeyPath(), "overlab-"+l.Name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(l.AuthorizedKeysDir(), "root"), authorizedKeyLine(userKey), 0o600); err != nil {
		return err
	}
	var known strings.Builder
	for i := 1; i <= l.Hosts; i++ {
		dir := l.HostDir(i)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		hk, err := newKey(filepath.Join(dir, "ssh_host_ed25519_key"), "root@"+HostName(i))
		if err != nil {
			return err
		}
		known.WriteString(knownHostsLine(l.HostAddr(i).String(), hk))
		if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(l.sshdConfig(i)), 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "bashrc"), []byte(hostBashrc), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(l.KnownHostsPath(), []byte(known.String()), 0o644)
}

func (p *Provider) startHost(l Lab, i int, lower string) (*exec.Cmd, error) {
	keepInheritedFiles()
	args := l.hostCommand(p.bin, i, lower)
	logf, err := os.OpenFile(filepath.Join(l.HostDir(i), "holder.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	// Its own session: the lab outlives this command and a Ctrl-C on it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the host: %w", err)
	}
	if err := os.WriteFile(filepath.Join(l.HostDir(i), "holder.pid"), []byte(fmt.Sprint(cmd.Process.Pid)), 0o600); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait() }() // reap it if it ends while we run
	return cmd, nil
}

func (l Lab) writeInventory() error {
	inv := inventory.Inventory{
		Defaults: inventory.Defaults{
			User:         "root",
			Port:         22,
			IdentityFile: l.KeyPath(),
			KnownHosts:   l.KnownHostsPath(),
			DockerSocket: "/var/run/docker.sock",
		},
	}
	for i := 1; i <= l.Hosts; i++ {
		role := inventory.RoleWorker
		if i == 1 {
			role = inventory.RoleManager
		}
		inv.Hosts = append(inv.Hosts, inventory.Host{Name: HostName(i), Address: l.HostAddr(i).String(), Role: role})
	}
	body, err := yaml.Marshal(inv)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# overlab inventory of the local lab %q (underlay %s), written by `overlab local up`.\n"+
		"# Host keys are in known_hosts and checked strictly; the key is the lab's own.\n", l.Name, l.Subnet)
	return os.WriteFile(l.InventoryPath(), append([]byte(header), body...), 0o644)
}

// Down removes everything of the lab that exists: processes, namespaces,
// veths, bridge, cgroups, mounts and the state directory. It carries on past
// failures and reports them all.
func (p *Provider) Down(ctx context.Context, l Lab) error {
	stateDir, err := l.ownStateDir()
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return errors.New("removing a local lab needs root (sudo)")
	}
	ids := l.hostsOnMachine()
	var result *multierror.Error
	if err := l.endProcs(ids); err != nil {
		result = multierror.Append(result, err)
	}
	if err := p.removeNetwork(ctx, l, ids); err != nil {
		result = multierror.Append(result, err)
	}
	l.removeCgroups()
	if err := unmountUnder(stateDir); err != nil {
		result = multierror.Append(result, err)
	}
	if err := os.RemoveAll(stateDir); err != nil {
		result = multierror.Append(result, fmt.Errorf("removing %s: %w", stateDir, err))
	}
	return result.ErrorOrNil()
}

// hostsOnMachine lists, sorted, the host numbers of the lab as recorded and
// of whatever is left of it (namespaces, host directories): a crashed or
// resized lab may have more than l.Hosts.
func (l Lab) hostsOnMachine() []int {
	hosts := map[int]bool{}
	for i := 1; i <= l.Hosts; i++ {
		hosts[i] = true
	}
	for _, i := range l.leftoverNetns() {
		hosts[i] = true
	}
	for _, dir := range globDirs(filepath.Join(l.StateDir(), "hosts", "node*")) {
		var i int
		if _, err := fmt.Sscanf(filepath.Base(dir), "node%d", &i); err == nil {
			hosts[i] = true
		}
	}
	ids := make([]int, 0, len(hosts))
	for i := range hosts {
		ids = append(ids, i)
	}
	sort.Ints(ids)
	return ids
}

// endProcs ends every process of the given hosts and says which would not end.
func (l Lab) endProcs(ids []int) error {
	procs := l.labProcs(ids)
	var all []int
	for _, i := range ids {
		// Daemons named in pid files get SIGTERM; everything else of the host
		// (containers, shims) is ended at once: the lab is being destroyed.
		daemons := map[int]bool{}
		for _, f := range []string{"sshd.pid", "dockerd.pid", "dockerd.launch.pid", "holder.pid"} {
			if pid := readPID(filepath.Join(l.HostDir(i), f)); pid > 0 {
				daemons[pid] = true
			}
		}
		for _, pid := range procs[i] {
			if daemons[pid] {
				_ = syscall.Kill(pid, syscall.SIGTERM)
			} else {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			all = append(all, pid)
		}
	}
	var err error
	if left := waitGone(all, 1500*time.Millisecond); len(left) > 0 {
		signalAll(left, syscall.SIGKILL)
		if left = waitGone(left, 3*time.Second); len(left) > 0 {
			err = fmt.Errorf("processes %v of lab %q did not end", left, l.Name)
		}
	}
	// A second look: a dying dockerd may have spawned a last process.
	if again := l.labProcs(ids); len(again) > 0 {
		for _, pids := range again {
			signalAll(pids, syscall.SIGKILL)
			waitGone(pids, 2*time.Second)
		}
	}
	return err
}

// removeNetwork deletes the hosts' namespaces and veths and the underlay
// bridge, carrying on past failures.
func (p *Provider) removeNetwork(ctx context.Context, l Lab, ids []int) error {
	var result *multierror.Error
	for _, i := range ids {
		if _, err := os.Stat(netnsPath(l.Netns(i))); err == nil {
			if err := execx.Run(ctx, p.bin.IP, "netns", "delete", l.Netns(i)); err != nil {
				result = multierror.Append(result, multierror.Prefix(err, HostName(i)+":"))
			}
		}
		if linkExists(l.HostVeth(i)) {
			_ = execx.Run(ctx, p.bin.IP, "link", "delete", l.HostVeth(i))
		}
	}
	if linkExists(l.Bridge()) {
		if err := execx.Run(ctx, p.bin.IP, "link", "delete", l.Bridge()); err != nil {
			result = multierror.Append(result, err)
		}
	}
	return result.ErrorOrNil()
}

// unmountUnder lazily unmounts anything still mounted below dir in this
// mount namespace (normally nothing: hosts mount in their own namespace).
func unmountUnder(dir string) error {
	mounts := mountsBelow(dir)
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	var result *multierror.Error
	for _, m := range mounts {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			result = multierror.Append(result, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	return result.ErrorOrNil()
}

// mountsBelow lists the mount points at or below dir in this mount namespace.
func mountsBelow(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		fs := strings.Fields(line)
		if len(fs) > 4 && (fs[4] == dir || strings.HasPrefix(fs[4], dir+"/")) {
			mounts = append(mounts, fs[4])
		}
	}
	return mounts
}

func globDirs(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}

func fileTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return execx.Tail(strings.TrimSpace(string(b)), n)
}

// HostStatus is one line of `local status`.
type HostStatus struct {
	Name    string `json:"name" yaml:"name"`
	Address string `json:"address" yaml:"address"`
	Engine  bool   `json:"engine" yaml:"engine"`
	// EngineVersion is what the engine says it is, when it answers.
	EngineVersion string `json:"engine_version,omitempty" yaml:"engine_version,omitempty"`
	SSHD          bool   `json:"sshd" yaml:"sshd"`
	MemoryKB      int    `json:"memory_kb" yaml:"memory_kb"`
	Error         string `json:"error,omitempty" yaml:"error,omitempty"`
}

// Status checks each host over SSH (strict host keys) and its engine through it.
func (p *Provider) Status(ctx context.Context, l Lab) ([]HostStatus, error) {
	probe, err := l.newSSHProbe()
	if err != nil {
		return nil, fmt.Errorf("lab %q: %w", l.Name, err)
	}
	ids := make([]int, l.Hosts)
	for k := range ids {
		ids[k] = k + 1
	}
	procs := l.labProcs(ids)
	out := make([]HostStatus, l.Hosts)
	// Every host gets a row: a host that does not answer is a status, not an error.
	_ = p.eachHost(context.WithoutCancel(ctx), l, func(i int) error {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		r := probe.check(cctx, l.HostAddr(i).String())
		hs := HostStatus{Name: HostName(i), Address: l.HostAddr(i).String(), Engine: r.Engine, EngineVersion: r.Version, SSHD: r.SSH, MemoryKB: memoryKB(procs[i])}
		if r.Err != nil {
			hs.Error = r.Err.Error()
		}
		out[i-1] = hs
		return nil
	})
	return out, nil
}
