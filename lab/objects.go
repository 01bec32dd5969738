package lab

// Label marks every Docker object overlab creates for a lab (networks,
// services, containers), with the lab's name as value: what `down` removes
// and what a second lab must not touch.
const Label = "overlab.lab"

// Labels are the labels of an object made for the lab called name.
func Labels(name string) map[string]string { return map[string]string{Label: name} }

// LabelSelector is the label filter value that selects the objects made for
// the lab called name: filters.Arg("label", lab.LabelSelector(name)).
func LabelSelector(name string) string { return Label + "=" + name }

// Instance is one running container of a lab's workload, as found on the
// hosts (workload.Instances) and probed from (check).
type Instance struct {
	Workload    string
	Host        string
	ContainerID string
	Name        string            // container name, resolvable on user-defined networks
	Hostname    string            // what the probe inside answers with
	IPs         map[string]string // network name -> IPv4 address
	IPv6s       map[string]string // network name -> IPv6 address
}

// Addr is the instance's address of family on network ("" when none).
func (in Instance) Addr(network, family string) string {
	if family == FamilyIPv6 {
		return in.IPv6s[network]
	}
	return in.IPs[network]
}
