package netdriver

// None is no network at all: Docker's network "none" (loopback only).
type None struct{ base }

func (None) Name() string { return "none" }

func (None) Traits() Traits { return Traits{Builtin: "none", OnlyBuiltin: true, NoEndpoint: true} }

func (None) Check(n *Network) []Problem { return takes{}.check(n) }

// Creates nothing: Docker's own network is used as it is.
func (None) Creates(*Network, Site) []Create { return nil }

func (None) Path() string { return "the container has loopback only: nothing leaves it" }
