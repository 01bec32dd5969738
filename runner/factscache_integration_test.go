//go:build linux

package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/local/labtest"
)

// TestFactsCacheOnRealHost: a second gather within the TTL reuses the
// host's shell facts (no session) and asks the engine afresh; another
// engine, or an entry past its TTL, means a full gather again.
func TestFactsCacheOnRealHost(t *testing.T) {
	l := labtest.Up(t, 1)
	inv, err := inventory.Load(l.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Resolve(inventory.WithoutSSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := cluster.Connect(ctx, hosts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := c.Nodes[0]
	now := time.Now()
	fc := &factsCache{dir: t.TempDir(), ttl: time.Minute, now: func() time.Time { return now }}

	first, cached, err := fc.gatherFacts(ctx, n)
	if err != nil || cached {
		t.Fatalf("first gather: cached=%v err=%v, want a full gather", cached, err)
	}
	sessions := n.Stats().Sessions
	second, cached, err := fc.gatherFacts(ctx, n)
	if err != nil || !cached {
		t.Fatalf("second gather: cached=%v err=%v, want the shell facts reused", cached, err)
	}
	if got := n.Stats().Sessions; got != sessions {
		t.Errorf("the cached gather opened %d shell sessions, want none", got-sessions)
	}
	// The engine lists its networks in no particular order.
	for _, f := range []*cluster.Facts{first, second} {
		sort.Slice(f.Networks, func(i, j int) bool { return f.Networks[i].Name < f.Networks[j].Name })
	}
	for _, field := range []string{"Kernel", "Arch", "Interfaces", "Routes", "Features", "UnderlayIface", "EngineID", "EngineVersion", "Docker0Subnet", "Networks"} {
		a, b := reflect.ValueOf(*first).FieldByName(field).Interface(), reflect.ValueOf(*second).FieldByName(field).Interface()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %v from the cache, %v in full", field, b, a)
		}
	}

	// Another engine behind the same name and address: gathered in full.
	path := fc.path(n)
	var e factsEntry
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	e.EngineID = "another-engine"
	b, _ = json.Marshal(e)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, cached, err := fc.gatherFacts(ctx, n); err != nil || cached {
		t.Errorf("after the engine changed: cached=%v err=%v, want a full gather", cached, err)
	}
	// Past the TTL: gathered in full.
	now = now.Add(2 * time.Minute)
	if _, cached, err := fc.gatherFacts(ctx, n); err != nil || cached {
		t.Errorf("past the TTL: cached=%v err=%v, want a full gather", cached, err)
	}
	// An entry of a host long gone (another host key) is pruned on the next store.
	stale := filepath.Join(fc.dir, "0123456789abcdef01234567.json")
	if err := os.WriteFile(stale, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	if _, _, err := fc.gatherFacts(ctx, n); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("an hour-old entry survived a store: %v", err)
	}
}
