package inventory

// Roles of a host in the swarm.
const (
	RoleManager = "manager"
	RoleWorker  = "worker"
)

// Inventory is the decoded file: defaults plus hosts.
type Inventory struct {
	Defaults Defaults `mapstructure:"defaults" yaml:"defaults,omitempty" json:"defaults,omitempty"`
	Hosts    []Host   `mapstructure:"hosts" yaml:"hosts" json:"hosts"`

	// Source is the file it was read from (for error messages); not decoded.
	Source string `mapstructure:"-" yaml:"-" json:"-"`
}

// Defaults apply to every host that does not set the field itself.
type Defaults struct {
	User         string `mapstructure:"user" yaml:"user,omitempty" json:"user,omitempty"`
	Port         int    `mapstructure:"port" yaml:"port,omitempty" json:"port,omitempty"`
	IdentityFile string `mapstructure:"identity_file" yaml:"identity_file,omitempty" json:"identity_file,omitempty"`
	KnownHosts   string `mapstructure:"known_hosts" yaml:"known_hosts,omitempty" json:"known_hosts,omitempty"`
	DockerSocket string `mapstructure:"docker_socket" yaml:"docker_socket,omitempty" json:"docker_socket,omitempty"`
	// TimeScale multiplies every wait on the hosts' engines (--timeout,
	// --connect-timeout, --wait, --probe-timeout) that no flag sets: slow
	// hosts, such as VMs under software emulation, need longer. 0 or 1: as is.
	TimeScale float64 `mapstructure:"time_scale" yaml:"time_scale,omitempty" json:"time_scale,omitempty"`
}

// Host is one machine of the lab.
type Host struct {
	Name string `mapstructure:"name" yaml:"name" json:"name"`
	// Address is the host's address on the lab network: what the swarm
	// advertises and what probes target. SSH may reach the host elsewhere.
	Address string `mapstructure:"address" yaml:"address" json:"address"`
	Role    string `mapstructure:"role" yaml:"role,omitempty" json:"role,omitempty"`
	// SSHHost is where SSH connects when that differs from Address.
	SSHHost       string            `mapstructure:"ssh_host" yaml:"ssh_host,omitempty" json:"ssh_host,omitempty"`
	Port          int               `mapstructure:"port" yaml:"port,omitempty" json:"port,omitempty"`
	User          string            `mapstructure:"user" yaml:"user,omitempty" json:"user,omitempty"`
	IdentityFile  string            `mapstructure:"identity_file" yaml:"identity_file,omitempty" json:"identity_file,omitempty"`
	KnownHosts    string            `mapstructure:"known_hosts" yaml:"known_hosts,omitempty" json:"known_hosts,omitempty"`
	DockerSocket  string            `mapstructure:"docker_socket" yaml:"docker_socket,omitempty" json:"docker_socket,omitempty"`
	MacvlanParent string            `mapstructure:"macvlan_parent" yaml:"macvlan_parent,omitempty" json:"macvlan_parent,omitempty"`
	Labels        map[string]string `mapstructure:"labels" yaml:"labels,omitempty" json:"labels,omitempty"`

	// ProxyJump is an OpenSSH-style jump host list ([user@]host[:port],...).
	ProxyJump string `mapstructure:"proxy_jump" yaml:"proxy_jump,omitempty" json:"proxy_jump,omitempty"`
}

// DialHost is where SSH connects: SSHHost when set, else Address.
func (h Host) DialHost() string {
	if h.SSHHost != "" {
		return h.SSHHost
	}
	return h.Address
}

// IsManager reports whether the host is a swarm manager.
func (h Host) IsManager() bool { return h.Role == RoleManager }
