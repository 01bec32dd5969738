package runner

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/progress"
)

func parse(t *testing.T, doc string) *lab.Lab {
	t.Helper()
	l, err := lab.Parse([]byte(doc), "test")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var threeHosts = []inventory.Host{
	{Name: "node1", Address: "192.168.56.11", Role: inventory.RoleManager},
	{Name: "node2", Address: "192.168.56.12"},
	{Name: "node3", Address: "192.168.56.13"},
}

func builtinOr(t *testing.T, nameOrDoc string) *lab.Lab {
	t.Helper()
	if !strings.Contains(nameOrDoc, "\n") {
		l, err := lab.Get(nameOrDoc)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	return parse(t, nameOrDoc)
}

func TestDownWithNoReachableHostClaimsNothing(t *testing.T) {
	var out bytes.Buffer
	r := New(WithProgress(progress.New(&out, progress.WithVerbosity(progress.Verbose))))
	c := &cluster.Cluster{Down: map[string]error{"node1": errors.New("connection refused")}}
	actions, err := r.Down(context.Background(), c, builtinOr(t, "swarm"), false)
	if err == nil || !strings.Contains(err.Error(), "node1: connection refused") || len(actions) != 0 {
		t.Fatalf("actions %v, err %v; want nothing done and the host's error", actions, err)
	}
	if strings.Contains(out.String(), "✓") {
		t.Fatalf("a phase claims success with no host reachable:\n%s", out.String())
	}
}
