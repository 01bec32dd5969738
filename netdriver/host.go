package netdriver

// Host is the host's own network stack: Docker's network "host".
type Host struct{ base }

func (Host) Name() string { return "host" }

func (Host) Traits() Traits {
	return Traits{Builtin: "host", OnlyBuiltin: true, HostStack: true, NoEndpoint: true}
}

func (Host) Check(n *Network) []Problem { return takes{}.check(n) }

// Creates nothing: Docker's own network is used as it is.
func (Host) Creates(*Network, Site) []Create { return nil }

func (Host) Path() string { return "the container uses its host's own interfaces, addresses and ports" }
