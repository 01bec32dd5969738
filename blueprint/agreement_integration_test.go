package blueprint_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/blueprint/blueprinttest"
	"github.com/overlab/overlab/internal/clitest"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/session"
	"github.com/overlab/overlab/session/sessiontest"
)

// agreementLabs have every option a network can take between them,
// per-host ones keyed $N among them, on the test lab's underlay. Two labs:
// Docker allows one macvlan network per parent interface on a host.
func agreementLabs(underlay string, rangeOf func(i int) string) []string {
	swarmLab := fmt.Sprintf(`name: agreement
networks:
  - {name: agr-overlay, driver: overlay, attachable: true, internal: true, subnet: 10.61.0.0/24, gateway: 10.61.0.1, ip_range: 10.61.0.128/25}
  - {name: agr-bridge, driver: bridge, subnet: 10.62.0.0/24, gateway: 10.62.0.254, ip_range: 10.62.0.0/25}
  - name: agr-mv-swarm
    driver: macvlan
    scope: swarm
    attachable: true
    subnet: %[1]s
    hosts:
      $1: {ip_range: %[2]s, parent: eth0}
      $2: {ip_range: %[3]s}
      $3: {ip_range: %[4]s}
workloads:
  - {name: agr-svc, kind: service, networks: [agr-overlay, agr-mv-swarm]}
  - {name: agr-c, networks: [agr-bridge]}
expect:
  - {from: {workload: agr-svc}, to: {workload: agr-svc}, network: agr-overlay, kinds: [icmp], reachable: true}
`, underlay, rangeOf(0), rangeOf(1), rangeOf(2))
	localLab := `name: agreement-local
networks:
  - name: agr-mv-local
    driver: macvlan
    subnet: 10.63.0.0/24
    hosts:
      $2: {ip_range: 10.63.0.64/27}
workloads:
  - {name: agr-c, networks: [agr-mv-local]}
expect:
  - {from: {workload: agr-c}, to: {workload: agr-c}, kinds: [icmp], reachable: true}
`
	return []string{swarmLab, localLab}
}

// TestPrintedCommandsAreWhatUpCreates: lab show --commands and up on
// three real hosts; every network the commands create is inspected on its
// host and must have exactly the driver, scope, flags, addresses and
// options the printed command gives it.
func TestPrintedCommandsAreWhatUpCreates(t *testing.T) {
	l := labtest.Up(t, 3)
	s := sessiontest.Open(t, l)
	under := l.Subnet.Masked()
	base := under.Addr().As4()
	rangeOf := func(i int) string { return fmt.Sprintf("%d.%d.%d.%d/29", base[0], base[1], base[2], 200+8*i) }
	compared := 0
	for i, text := range agreementLabs(under.String(), rangeOf) {
		file := filepath.Join(t.TempDir(), fmt.Sprintf("agreement-%d.yaml", i))
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		compared += agree(t, s, l, file)
	}
	if compared != 8+3 {
		t.Errorf("%d create commands compared, want the 11 of the labs", compared)
	}
}

// agree brings up the lab file and compares every network its printed
// commands create with what the engines have; it returns how many.
func agree(t *testing.T, s *session.Session, l *labtest.Lab, file string) int {
	t.Helper()
	var shown struct{ Steps []blueprint.Step }
	code, out, errOut := clitest.Run(t, "lab", "show", file, "--commands", "--format", "json", "-i", l.Inventory)
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil {
		t.Fatalf("lab show --commands: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := clitest.Run(t, "up", "--lab", file, "-i", l.Inventory, "--probe-binary", labtest.ProbeBinary(t)); code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errOut)
	}
	defer clitest.Run(t, "down", "--lab", file, "-i", l.Inventory)
	compared, diffs := blueprinttest.Disagreements(t, s.Cluster, shown.Steps)
	for _, d := range diffs {
		t.Error(d)
	}
	return compared
}
