package fault

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		in     string
		port   int
		protos string
		err    string
	}{
		{"4789/udp", 4789, "udp", ""},
		{"7946/tcp+udp", 7946, "tcp+udp", ""},
		{"2377/tcp", 2377, "tcp", ""},
		{"4789", 0, "", "want PORT/PROTO"},
		{"70000/udp", 0, "", "want PORT/PROTO"},
		{"53/icmp", 0, "", `"icmp" is not tcp, udp`},
	} {
		port, protos, err := ParsePort(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || port != tc.port || strings.Join(protos, "+") != tc.protos {
			t.Errorf("%s: %d %v %v", tc.in, port, protos, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		s   Spec
		err string
	}{
		{Spec{Kind: Cut}, ""},
		{Spec{Kind: MTU, MTU: 1400}, ""},
		{Spec{Kind: MTU, MTU: 100}, "576-65535"},
		{Spec{Kind: Delay, DelayMS: 0}, "1-10000"},
		{Spec{Kind: Loss, LossPct: 150}, "at most 100"},
		{Spec{Kind: Block}, "PORT/PROTO"},
		{Spec{Kind: "melt"}, "unknown fault"},
	} {
		err := tc.s.Validate()
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.err)
		}
	}
}

func TestCutRefusedWhenSSHOnLab(t *testing.T) {
	li := LinkInfo{Iface: "eth0", MTU: 1500, SSHFrom: "10.0.0.1", SSHTo: "10.0.0.13", SSHPort: "22", SSHOnLab: true}
	_, err := Spec{Kind: Cut}.plan("node3", "1", li)
	var cut *CutsSSHError
	if !errors.As(err, &cut) || !strings.Contains(err.Error(), "--spare-ssh") {
		t.Fatalf("cut over the SSH link: %v, want a CutsSSHError naming --spare-ssh", err)
	}
	p, err := Spec{Kind: Cut, SpareSSH: true}.plan("node3", "1", li)
	if err != nil || !strings.Contains(p.do, "! -s 10.0.0.1") || !strings.Contains(p.undo, "-D "+Chain) {
		t.Fatalf("spare-ssh plan %+v, %v", p, err)
	}
	p, err = Spec{Kind: Cut}.plan("node3", "1", LinkInfo{Iface: "eth1", SSHFrom: "192.168.1.5"})
	if err != nil || p.do != "ip link set dev eth1 down" || p.undo != "ip link set dev eth1 up" {
		t.Fatalf("cut off the SSH path: %+v, %v", p, err)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	f := Fault{ID: "3", Kind: Block, What: "4789/udp\tblocked", Undo: "iptables -D x\nif a; then b; fi"}
	got := parseRecord("node2", f.line()+"\n\ngarbage\n")
	if len(got) != 1 || got[0].Undo != f.Undo || got[0].What != "4789/udp blocked" || got[0].Host != "node2" {
		t.Fatalf("round trip: %+v", got)
	}
	if n := nextID(append(got, Fault{ID: "7"})); n != 8 {
		t.Errorf("next id %d, want 8", n)
	}
}

// TestSpareSSHCutWithNFT: where the host has nft, a spared-SSH cut also
// drops frames at the interface (macvlan children bypass iptables), and
// its undo removes exactly that table and the rules.
func TestSpareSSHCutWithNFT(t *testing.T) {
	li := LinkInfo{Iface: "eth0", MTU: 1500, SSHFrom: "10.0.0.1", SSHTo: "10.0.0.13", SSHPort: "22", SSHOnLab: true, NFT: true}
	p, err := Spec{Kind: Cut, AutoSpare: true}.plan("node3", "4", li)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"table netdev overlab-fault-4", `hook ingress device "eth0"`, `hook egress device "eth0"`, "ip saddr 10.0.0.1 accept", "arp daddr ip 10.0.0.1 accept", "| nft -f -", "! -s 10.0.0.1"} {
		if !strings.Contains(p.do, want) {
			t.Errorf("do lacks %q:\n%s", want, p.do)
		}
	}
	if !strings.HasPrefix(p.undo, "nft delete table netdev overlab-fault-4") || !strings.Contains(p.undo, "-D "+Chain) || !strings.Contains(p.what, "macvlan children too") {
		t.Errorf("undo %q, what %q", p.undo, p.what)
	}
	li.SSHOnLab = false
	if p, _ := (Spec{Kind: Cut, AutoSpare: true}).plan("node3", "5", li); p.do != "ip link set dev eth0 down" {
		t.Errorf("auto spare with SSH elsewhere: %q, want the link down", p.do)
	}
}

// shell runs scripts in this machine's sh with a PATH of the caller's
// choosing: a host that has, or lacks, some commands.
type shell struct{ path string }

func (shell) Name() string { return "here" }

func (s shell) Run(ctx context.Context, script string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Env = []string{"PATH=" + s.path, "SSH_CONNECTION="}
	return cmd.Output()
}

// TestProbeWithAndWithoutNFT reads this machine's loopback as a host's lab
// interface, once with nft on the PATH and once without: a host without nft
// (a VM) is a host like any other, not an error.
func TestProbeWithAndWithoutNFT(t *testing.T) {
	bin := t.TempDir()
	for _, c := range []string{"ip", "awk", "sed"} {
		p, err := exec.LookPath(c)
		if err != nil {
			t.Skipf("%s missing", c)
		}
		if err := os.Symlink(p, filepath.Join(bin, c)); err != nil {
			t.Fatal(err)
		}
	}
	li, err := Probe(context.Background(), shell{path: bin}, "127.0.0.1")
	if err != nil || li.Iface != "lo" || li.NFT {
		t.Fatalf("without nft: %+v, %v", li, err)
	}
	nft, err := exec.LookPath("nft")
	if err != nil {
		return
	}
	li, err = Probe(context.Background(), shell{path: bin + ":" + filepath.Dir(nft)}, "127.0.0.1")
	if err != nil || !li.NFT {
		t.Fatalf("with nft: %+v, %v", li, err)
	}
}
