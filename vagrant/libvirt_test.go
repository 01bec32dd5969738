package vagrant

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// fakeHost records the commands it is asked to run and fails those that
// start with a prefix in fail.
type fakeHost struct {
	ran  []string
	fail []string
}

func (f *fakeHost) run(_ context.Context, args ...string) ([]byte, error) {
	line := strings.Join(args, " ")
	f.ran = append(f.ran, line)
	for _, p := range f.fail {
		if strings.HasPrefix(line, p) {
			return nil, errors.New("failed: not found")
		}
	}
	return nil, nil
}

func (f *fakeHost) has(line string) int {
	for i, l := range f.ran {
		if l == line {
			return i
		}
	}
	return -1
}

func TestPrepareMakesBridgesDeadEnds(t *testing.T) {
	f := &fakeHost{fail: []string{"virsh -c qemu:///system pool-info", "virsh -c qemu:///system net-info"}}
	h := &libvirtHost{run: f.run, poolPath: t.TempDir() + "/pool", logf: t.Logf}
	st := &hostState{}
	if err := h.prepare(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if !st.Pool || !st.Firewall || !reflect.DeepEqual(st.Networks, []string{MgmtNetwork, LabNetwork}) || len(st.Daemons) != 0 {
		t.Errorf("recorded %+v", st)
	}
	for _, ipt := range []string{"iptables", "ip6tables"} {
		for _, br := range []string{"ovl-mgmt", "ovl-lab"} {
			for _, rule := range []string{
				"-A OVERLAB-VM -i " + br + " -o " + br + " -j ACCEPT",
				"-A OVERLAB-VM -i " + br + " -j DROP",
				"-A OVERLAB-VM -o " + br + " -j DROP",
			} {
				if f.has(ipt+" -w "+rule) < 0 {
					t.Errorf("missing %s %s", ipt, rule)
				}
			}
		}
		// First in FORWARD, after the networks (libvirtd puts its jumps first).
		jump := f.has(ipt + " -w -I FORWARD 1 -j OVERLAB-VM")
		if jump < 0 || jump < f.has("virsh -c qemu:///system net-start overlab-lab") {
			t.Errorf("%s: the jump to OVERLAB-VM is not inserted first after the networks start", ipt)
		}
	}
	for _, cmd := range f.ran {
		if strings.Contains(cmd, "ip_forward") || strings.Contains(cmd, "resolv") {
			t.Errorf("prepare touched %q", cmd)
		}
	}
}

func TestClearRemovesOnlyWhatWasRecorded(t *testing.T) {
	f := &fakeHost{}
	h := &libvirtHost{run: f.run, logf: t.Logf}
	if err := h.clear(context.Background(), &hostState{Networks: []string{LabNetwork}}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"virsh -c qemu:///system net-destroy overlab-lab",
		"virsh -c qemu:///system net-undefine overlab-lab",
	}
	if !reflect.DeepEqual(f.ran, want) {
		t.Errorf("ran %q, want %q (no pool, firewall or daemon that up did not make)", f.ran, want)
	}
}

func TestNetworkXMLIsIsolated(t *testing.T) {
	for _, n := range networks {
		x := n.xml()
		if strings.Contains(x, "<forward") || !strings.Contains(x, "<dns enable='no'/>") || !strings.Contains(x, "bridge name='"+n.Bridge+"'") {
			t.Errorf("%s: %s", n.Name, x)
		}
		if strings.Contains(x, "<dhcp>") != n.DHCP {
			t.Errorf("%s: DHCP %v: %s", n.Name, n.DHCP, x)
		}
	}
}

func TestParseLibvirtChains(t *testing.T) {
	empty := `-P FORWARD ACCEPT
-N LIBVIRT_FWI
-N LIBVIRT_FWO
-N OVERLAB-VM
-A FORWARD -j LIBVIRT_FWI
-A FORWARD -j LIBVIRT_FWO
-A OVERLAB-VM -i ovl-lab -j DROP
`
	chains, jumps, nonEmpty := parseLibvirtChains(empty)
	if nonEmpty || !reflect.DeepEqual(chains, []string{"LIBVIRT_FWI", "LIBVIRT_FWO"}) ||
		!reflect.DeepEqual(jumps, [][]string{{"FORWARD", "-j", "LIBVIRT_FWI"}, {"FORWARD", "-j", "LIBVIRT_FWO"}}) {
		t.Errorf("chains %v, jumps %v, nonEmpty %v", chains, jumps, nonEmpty)
	}
	if _, _, nonEmpty := parseLibvirtChains(empty + "-A LIBVIRT_FWI -o virbr0 -j REJECT\n"); !nonEmpty {
		t.Error("a LIBVIRT chain with a rule must be left alone")
	}
}

func TestVolumeNames(t *testing.T) {
	table := " Name                                       Path\n" +
		"----------------------------------------------------------------------------------------------\n" +
		" overlab-node1.img                          /var/lib/overlab/vagrant-pool/overlab-node1.img\n" +
		" overlab-VAGRANTSLASH-debian12_vagrant_box_image_0_box.img   /var/lib/overlab/vagrant-pool/x.img\n\n"
	want := []string{"overlab-node1.img", "overlab-VAGRANTSLASH-debian12_vagrant_box_image_0_box.img"}
	if got := volumeNames(table); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A state file that names another directory as the boot directory or the
// pool (edited by hand, or by someone else) does not make down remove it.
func TestClearRemovesOnlyItsOwnDirectories(t *testing.T) {
	base := t.TempDir()
	pool := base + "/pools/overlab"
	victim := base + "/victim"
	for _, d := range []string{victim, BootDir(pool)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := &libvirtHost{run: (&fakeHost{}).run, poolPath: pool, logf: t.Logf}
	for _, st := range []*hostState{{BootDir: victim}, {BootDir: base}, {Pool: true, PoolPath: victim}} {
		err := h.clear(context.Background(), st)
		if err == nil || !strings.Contains(err.Error(), "not overlab's") {
			t.Errorf("clear(%+v) = %v, want a refusal", st, err)
		}
		if _, err := os.Stat(victim); err != nil {
			t.Fatalf("clear(%+v) removed %s", st, victim)
		}
	}
	if err := h.clear(context.Background(), &hostState{BootDir: BootDir(pool)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(BootDir(pool)); !os.IsNotExist(err) {
		t.Errorf("its own boot directory is still there: %v", err)
	}
}
