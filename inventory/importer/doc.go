// Package importer turns inventories that people already have into
// overlab's: `vagrant ssh-config` output, Ansible inventories (INI and
// YAML) and a swarm's own node list (read from a manager's engine through
// the narrow SwarmAPI). What cannot be mapped is an error that says why,
// or a note naming the node and what was left out, never a silent guess.
// It also discovers a host's lab address over a narrow Runner interface
// when the source does not tell it.
package importer

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// tidy returns e as an error listing its problems one per line, or nil.
func tidy(e *multierror.Error) error {
	if e == nil || len(e.Errors) == 0 {
		return nil
	}
	e.ErrorFormat = func(es []error) string {
		if len(es) == 1 {
			return es[0].Error()
		}
		lines := make([]string, len(es))
		for i, err := range es {
			lines[i] = "  - " + err.Error()
		}
		return fmt.Sprintf("%d problems:\n%s", len(es), strings.Join(lines, "\n"))
	}
	return e
}
