package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/runner"
)

// resolveNamed loads the lab a command names ("": none named).
func resolveNamed(nameOrFile string) (*lab.Lab, error) {
	if nameOrFile == "" {
		return nil, nil
	}
	return lab.Resolve(nameOrFile)
}

// labUp is the lab a command without --lab works on: the only lab that is
// up, else the default; several up is an error that names them.
func (s *Session) labUp(ctx context.Context, nameOnly bool) (*lab.Lab, error) {
	up, err := runner.LabsUp(ctx, s.Cluster)
	name := lab.DefaultLab
	switch {
	case len(up) == 1:
		name = up[0]
	case len(up) > 1:
		return nil, fmt.Errorf("labs %s are up: name one with --lab, or remove them all with `overlab down --all`", strings.Join(up, ", "))
	case err != nil:
		return nil, fmt.Errorf("finding the lab that is up (name it with --lab): %w", err)
	}
	return ResolveUp(name, nameOnly)
}

// ResolveUp resolves a lab found up by its name. One loaded from a file is
// known by its name only: enough for down (everything carries the name),
// not for the other commands.
func ResolveUp(name string, nameOnly bool) (*lab.Lab, error) {
	l, err := lab.Resolve(name)
	if err != nil && nameOnly {
		return &lab.Lab{Name: name}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lab %q is up but is not a built-in lab: pass its file with --lab FILE", name)
	}
	return l, nil
}

// LabsUp names the labs that have something on the connected hosts.
func (s *Session) LabsUp(ctx context.Context) ([]string, error) { return runner.LabsUp(ctx, s.Cluster) }
