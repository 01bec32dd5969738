package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/kevinburke/ssh_config"
)

// Built-in defaults, used when neither the inventory nor ssh_config says.
const (
	DefaultUser         = "root"
	DefaultPort         = 22
	DefaultDockerSocket = "/var/run/docker.sock"
)

type resolveConfig struct {
	home          string
	sshConfig     string // "" means ~/.ssh/config
	noSSHConfig   bool
	sshConfigMust bool // the path was given explicitly: a missing file is an error
}

// ResolveOption changes how Resolve fills in connection fields.
type ResolveOption func(*resolveConfig)

// WithSSHConfig reads OpenSSH client settings from path instead of
// ~/.ssh/config; the file must exist.
func WithSSHConfig(path string) ResolveOption {
	return func(c *resolveConfig) { c.sshConfig, c.sshConfigMust, c.noSSHConfig = path, true, false }
}

// WithoutSSHConfig ignores ~/.ssh/config.
func WithoutSSHConfig() ResolveOption { return func(c *resolveConfig) { c.noSSHConfig = true } }

// WithHome sets the directory that ~ stands for (default $HOME).
func WithHome(dir string) ResolveOption { return func(c *resolveConfig) { c.home = dir } }

// Resolve returns the hosts with every connection field filled in, in this
// order of precedence: the host's own field, the inventory's defaults (file
// or OVERLAB_ environment), the OpenSSH client config, the built-in default.
// ~ is expanded, and relative key and known_hosts paths are taken from the
// inventory file's directory. IdentityFile stays empty when nothing names a
// key (ssh-agent then does the work); Role is manager or worker.
//
// The ssh_config entry is looked up by the host's ssh_host when set, else
// its name, then its address. Its HostName becomes the host's SSHHost, so
// that an ssh_host that is an ssh_config alias is dialled where OpenSSH
// would dial it.
func (inv *Inventory) Resolve(opts ...ResolveOption) ([]Host, error) {
	cfg := resolveConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.home == "" {
		cfg.home, _ = os.UserHomeDir()
	}
	sc, scPath, err := loadSSHConfig(cfg)
	if err != nil {
		return nil, err
	}
	rv := resolver{cfg: cfg, sc: sc, scPath: scPath, d: inv.Defaults}
	if inv.Source != "" {
		rv.base = filepath.Dir(inv.Source)
	}
	if u, err := user.Current(); err == nil {
		rv.localUser = u.Username
	}
	var errs *multierror.Error
	out := make([]Host, len(inv.Hosts))
	for i, h := range inv.Hosts {
		r, err := rv.host(h)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		out[i] = r
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, err
	}
	return out, nil
}

// resolver is what Resolve fills every host in from.
type resolver struct {
	cfg       resolveConfig
	sc        *ssh_config.Config // nil when ssh_config is not read
	scPath    string
	d         Defaults
	base      string // the inventory file's directory, for relative paths
	localUser string
}

// host fills in one host's connection fields (see Resolve).
func (rv resolver) host(h Host) (Host, error) {
	d, home := rv.d, rv.cfg.home
	r := h
	if r.Role == "" {
		r.Role = RoleWorker
	}
	aliases := []string{h.Name}
	if h.SSHHost != "" {
		aliases[0] = h.SSHHost
	}
	if h.Address != "" && h.Address != aliases[0] {
		aliases = append(aliases, h.Address)
	}
	get := rv.lookup(aliases)
	if hn := get("HostName"); hn != "" {
		r.SSHHost = expandTokens(hn, aliases[0], "", home, rv.localUser)
	}
	r.User = first(h.User, d.User, get("User"), DefaultUser)
	port, err := rv.port(h.Port, get, aliases[0])
	if err != nil {
		return Host{}, err
	}
	r.Port = port
	switch {
	case h.IdentityFile != "":
		r.IdentityFile = localPath(h.IdentityFile, rv.base, home)
	case d.IdentityFile != "":
		r.IdentityFile = localPath(d.IdentityFile, rv.base, home)
	default:
		if id := get("IdentityFile"); id != "" {
			r.IdentityFile = ExpandHome(expandTokens(id, r.DialHost(), r.User, home, rv.localUser), home)
		}
	}
	r.KnownHosts = localPath(first(h.KnownHosts, d.KnownHosts, "~/.ssh/known_hosts"), rv.base, home)
	r.DockerSocket = first(h.DockerSocket, d.DockerSocket, DefaultDockerSocket)
	if r.ProxyJump == "" {
		r.ProxyJump = get("ProxyJump")
	}
	if strings.EqualFold(r.ProxyJump, "none") {
		r.ProxyJump = ""
	}
	return r, nil
}

// lookup returns a getter of ssh_config keys for the first of aliases that
// sets each key, as OpenSSH would match them.
func (rv resolver) lookup(aliases []string) func(key string) string {
	return func(key string) string {
		if rv.sc == nil {
			return ""
		}
		for _, a := range aliases {
			if v, _ := rv.sc.Get(a, key); v != "" {
				return v
			}
		}
		return ""
	}
}

// port is the host's port, else the defaults', else ssh_config's, else 22.
func (rv resolver) port(own int, get func(string) string, alias string) (int, error) {
	if own != 0 {
		return own, nil
	}
	if rv.d.Port != 0 {
		return rv.d.Port, nil
	}
	if p := get("Port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return 0, fmt.Errorf("%s: Port %q for %s is not a port number", rv.scPath, p, alias)
		}
		return n, nil
	}
	return DefaultPort, nil
}

func loadSSHConfig(cfg resolveConfig) (*ssh_config.Config, string, error) {
	if cfg.noSSHConfig {
		return nil, "", nil
	}
	path := cfg.sshConfig
	if path == "" {
		if cfg.home == "" {
			return nil, "", nil
		}
		path = filepath.Join(cfg.home, ".ssh", "config")
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !cfg.sshConfigMust {
			return nil, path, nil
		}
		return nil, path, fmt.Errorf("reading ssh config: %w", err)
	}
	defer f.Close()
	sc, err := ssh_config.Decode(f)
	if err != nil {
		return nil, path, fmt.Errorf("parsing ssh config %s: %w", path, err)
	}
	return sc, path, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// localPath expands ~ and anchors a relative path at the inventory's
// directory, so that `-i lab/overlab.yaml` works from anywhere.
func localPath(p, base, home string) string {
	p = ExpandHome(p, home)
	if p != "" && !filepath.IsAbs(p) && base != "" {
		return filepath.Join(base, p)
	}
	return p
}

// expandTokens implements the OpenSSH tokens that make sense here: %h the
// remote host, %r the remote user, %u the local user, %d home, %% a percent.
func expandTokens(s, host, remoteUser, home, localUser string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'h':
			b.WriteString(host)
		case 'r':
			b.WriteString(remoteUser)
		case 'u':
			b.WriteString(localUser)
		case 'd':
			b.WriteString(home)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
