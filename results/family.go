package results

// Address families of a probe. IPv4 is written as no family at all, so
// that a document of IPv4 probes reads as it did before IPv6 probes.
const (
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// FamilyOf is the Family field of a probe over family f.
func FamilyOf(f string) string {
	if f == FamilyIPv6 {
		return FamilyIPv6
	}
	return ""
}

// IPv6 says whether the probe went over IPv6.
func (p Probe) IPv6() bool { return p.Family == FamilyIPv6 }
