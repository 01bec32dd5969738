package inventory

// Roles of a host in the swarm.
const (
	RoleManager = "manager"
	RoleWorker  = "worker"
)

// Inventory is the decoded file: defaults plus hosts.
type Inventory struct {
	Defaults Defaults `yaml:"defaults,omitempty" json:"defaults,omitempty"`
	Hosts    []Host   `yaml:"hosts" json:"hosts"`

	// Source is the file it was read from (for error messages); not decoded.
	Source string `yaml:"-" json:"-"`
}

// Defaults apply to every host that does not set the field itself.
type Defaults struct {
	User         string `yaml:"user,omitempty" json:"user,omitempty"`
	Port         int    `yaml:"port,omitempty" json:"port,omitempty"`
	IdentityFile string `yaml:"identity_file,omitempty" json:"identity_file,omitempty"`
	KnownHosts   string `yaml:"known_hosts,omitempty" json:"known_hosts,omitempty"`
	DockerSocket string `yaml:"docker_socket,omitempty" json:"docker_socket,omitempty"`
	// TimeScale multiplies every wait on the hosts' engines (--timeout,
	// --connect-timeout, --wait, --probe-timeout) that no flag sets: slow
	// hosts, such as VMs under software emulation, need longer. 0 or 1: as is.
	TimeScale float64 `yaml:"time_scale,omitempty" json:"time_scale,omitempty"`
}

// Host is one machine of the lab.
type Host struct {
	Name string `yaml:"name" json:"name"`
	// Address is the host's address on the lab network: what the swarm
	// advertises and what probes target. SSH may reach the host elsewhere.
	Address string `yaml:"address" json:"address"`
	Role    string `yaml:"role,omitempty" json:"role,omitempty"`
	// SSHHost is where SSH connects when that differs from Address.
	SSHHost       string            `yaml:"ssh_host,omitempty" json:"ssh_host,omitempty"`
	Port          int               `yaml:"port,omitempty" json:"port,omitempty"`
	User          string            `yaml:"user,omitempty" json:"user,omitempty"`
	IdentityFile  string            `yaml:"identity_file,omitempty" json:"identity_file,omitempty"`
	KnownHosts    string            `yaml:"known_hosts,omitempty" json:"known_hosts,omitempty"`
	DockerSocket  string            `yaml:"docker_socket,omitempty" json:"docker_socket,omitempty"`
	MacvlanParent string            `yaml:"macvlan_parent,omitempty" json:"macvlan_parent,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`

	// ProxyJump is an OpenSSH-style jump host list ([user@]host[:port],...).
	ProxyJump string `yaml:"proxy_jump,omitempty" json:"proxy_jump,omitempty"`
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
