package cluster

import (
	"context"
	"fmt"
)

// Reconnect replaces the connection to the host called name with a new
// one. A connection whose path changed under it works again from the new
// one's first packet: after an MTU fault, say, the TCP stream opened before
// it stalls (its segments no longer fit, and a veth or a switch that drops
// them sends no ICMP back), while a new one negotiates segments that fit.
func (c *Cluster) Reconnect(ctx context.Context, name string) error {
	if c.opts == nil {
		c.opts = newOptions(nil)
	}
	for i, n := range c.Nodes {
		if n.Name() != name {
			continue
		}
		nn, err := dial(ctx, n.Host, c.opts)
		if err != nil {
			return fmt.Errorf("%s: reconnecting: %w", name, err)
		}
		c.Nodes[i] = nn
		_ = n.Close() // the stalled one: nothing of it is needed
		return nil
	}
	return fmt.Errorf("%s: not connected", name)
}
