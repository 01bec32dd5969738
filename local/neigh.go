//go:build linux

package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// neighLimits are the kernel's neighbour (ARP/NDP) table limits that lab
// hosts need. The table is one for the whole machine, shared by every
// network namespace: a host's overlay programs an entry per peer container
// and VTEP, macvlan containers and the underlay add theirs, so 16 hosts
// overflow Linux's default gc_thresh3 of 1024 ("neighbour: arp_cache:
// neighbor table overflow!" in the kernel log, "no buffer space available"
// in the probes).
var neighLimits = map[string]int{"gc_thresh2": 8192, "gc_thresh3": 16384}

const neighDir = "/proc/sys/net/%s/neigh/default"

// raiseNeighLimits raises the machine's neighbour table limits to
// neighLimits where they are lower (never lowers them) and says what it
// changed.
func raiseNeighLimits(procRoot string) ([]string, error) {
	var changed []string
	for _, family := range []string{"ipv4", "ipv6"} {
		for name, want := range neighLimits {
			path := filepath.Join(procRoot, fmt.Sprintf(neighDir, family), name)
			b, err := os.ReadFile(path)
			if err != nil {
				return changed, err
			}
			have, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || have >= want {
				continue
			}
			if err := os.WriteFile(path, []byte(strconv.Itoa(want)), 0o644); err != nil {
				return changed, fmt.Errorf("raising %s: %w", path, err)
			}
			changed = append(changed, fmt.Sprintf("net.%s.neigh.default.%s %d → %d", family, name, have, want))
		}
	}
	return changed, nil
}
