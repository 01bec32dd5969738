package blueprint

import (
	"errors"
	"strings"
	"testing"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/lab"
)

// The walkthrough's `docker network create -d bridge --subnet 10.0.0.0/24
// my_bridge` on hosts in a swarm: the plan refuses it before anything is
// created, naming both sides and a free subnet, from the lab and the hosts'
// addresses alone.
func TestPlanIngressCollision(t *testing.T) {
	l, err := lab.Load("../lab/testdata/valid-ingress-collision.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !l.NeedsSwarm() {
		t.Fatal("the fixture must need a swarm (its overlay), so that the ingress exists")
	}
	bp, err := Compile(l, ExampleHosts())
	if err != nil {
		t.Fatal(err)
	}
	plan := bp.Plan
	err = plan.Err()
	var ce *addrplan.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("plan error %v, want a conflict", err)
	}
	want := `lab network "my_bridge" subnet 10.0.0.0/24 overlaps the swarm's ingress network 10.0.0.0/24; pick a free one such as 10.200.0.0/24`
	if len(ce.Messages) != 1 || !strings.HasPrefix(ce.Messages[0], want) {
		t.Errorf("conflicts %q, want one starting %q", ce.Messages, want)
	}
	// The free subnet suggested must not be the overlay's, chosen free by the
	// same plan.
	if ov := plan.Subnets["overlab-ic-ov"]; !ov.IsValid() || ov.Overlaps(plan.Subnets["my_bridge"]) {
		t.Errorf("overlay subnet %v", ov)
	}

	// The built-in user-bridge lab, which teaches the same walkthrough with
	// 10.10.10.0/24, plans cleanly next to a swarm.
	ub, err := lab.Get("user-bridge")
	if err != nil {
		t.Fatal(err)
	}
	in := lab.PlanInput(ub, infos(ExampleHosts()))
	in.Ingress = addrplan.DefaultIngress
	if err := addrplan.Compute(in).Err(); err != nil {
		t.Errorf("user-bridge next to a swarm: %v", err)
	}
}
