package explain

import (
	"context"
	"slices"
	"sync"

	"github.com/overlab/overlab/fanout"
)

// GatherAll explains network on every host, concurrently (within the
// context's fanout limit): one View with each host's objects, in the order
// of hosts; a host that could not say carries its error.
func GatherAll(ctx context.Context, hosts []Host, network string, peers map[string]string) View {
	var (
		mu    sync.Mutex
		v     = View{Network: network, Hosts: []HostView{}}
		order = map[string]int{}
	)
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name()
		order[h.Name()] = i
	}
	_ = fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		nv, hv, err := Gather(ctx, hosts[i], network, peers)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			hv.Error = err.Error()
		} else if v.Driver == "" {
			hv0 := v.Hosts
			v = nv
			v.Hosts = hv0
		}
		v.Hosts = append(v.Hosts, hv)
		return nil
	})
	slices.SortFunc(v.Hosts, func(a, b HostView) int { return order[a.Host] - order[b.Host] })
	return v
}
