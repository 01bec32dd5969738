package hostcmd

import (
	"context"

	"github.com/overlab/overlab/shellquote"
)

// Host runs a command in the remote user's shell; a cluster.Node is one.
type Host interface {
	Name() string
	Run(ctx context.Context, command string) ([]byte, error)
}

// Root wraps a POSIX sh script so that it runs as root: directly when the
// SSH user is root, else through sudo without a password prompt.
func Root(script string) string {
	q := shellquote.Quote(script)
	return `if [ "$(id -u)" = 0 ]; then sh -c ` + q + `; else sudo -n sh -c ` + q + `; fi`
}

// RunRoot runs script as root on h and returns its stdout.
func RunRoot(ctx context.Context, h Host, script string) (string, error) {
	out, err := h.Run(ctx, Root(script))
	return string(out), err
}
