//go:build linux

package cluster

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/overlab/overlab/feature"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/local/labtest"
)

// labHosts starts a local lab and resolves its inventory the way commands do.
func labHosts(t *testing.T, n int) (*labtest.Lab, []inventory.Host) {
	t.Helper()
	lab := labtest.Up(t, n)
	inv, err := inventory.Load(lab.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Validate(); err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Resolve(inventory.WithoutSSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	return lab, hosts
}

func connectLab(t *testing.T, hosts []inventory.Host, opts ...Option) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, hosts, append([]Option{WithAgentSocket(""), WithConnectTimeout(5 * time.Second), WithOpTimeout(20 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestIntegrationFactsOfThreeHosts(t *testing.T) {
	_, hosts := labHosts(t, 3)
	c := connectLab(t, hosts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	start := time.Now()
	facts, err := c.Facts(ctx)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	for _, h := range hosts {
		f := facts[h.Name]
		if f == nil {
			t.Fatalf("no facts for %s", h.Name)
		}
		if f.Address != h.Address || f.UnderlayIface != "eth0" || f.UnderlayMTU < 1280 || !strings.HasSuffix(f.UnderlaySubnet, "/24") {
			t.Errorf("%s underlay: %s %s mtu %d %s", h.Name, f.Address, f.UnderlayIface, f.UnderlayMTU, f.UnderlaySubnet)
		}
		if f.Arch != runtime.GOARCH || f.Kernel == "" || f.OS == "" || f.Hostname == "" {
			t.Errorf("%s host: %+v", h.Name, f)
		}
		if f.EngineVersion == "" || f.APIVersion == "" || f.SwarmState != "inactive" || f.SwarmRole != "" {
			t.Errorf("%s engine: %q API %q swarm %q/%q", h.Name, f.EngineVersion, f.APIVersion, f.SwarmState, f.SwarmRole)
		}
		if f.Docker0Subnet == "" || f.Docker0Gateway == "" {
			t.Errorf("%s docker0: %q %q", h.Name, f.Docker0Subnet, f.Docker0Gateway)
		}
		found := false
		for _, nw := range f.Networks {
			found = found || nw.Name == "bridge"
		}
		if !found {
			t.Errorf("%s networks lack bridge: %+v", h.Name, f.Networks)
		}
		// What this machine's kernel has and lacks (FACTS.md).
		ft := f.Features
		if !ft.Has(feature.VXLAN) || !ft.Has(feature.Macvlan) || ft.Has(feature.IPVS) || ft.Has(feature.ESP) || ft.Has(feature.VLAN) {
			t.Errorf("%s features: %+v", h.Name, ft)
		}
		st := c.Node(h.Name).Stats()
		t.Logf("%s: %d SSH session(s), %d Docker channel(s); engine %s API %s; features %v",
			h.Name, st.Sessions, st.DockerChannels, f.EngineVersion, f.APIVersion, ft.Detail)
		if st.Sessions != 1 {
			t.Errorf("%s: %d sessions, want one shell round trip", h.Name, st.Sessions)
		}
	}
	t.Logf("facts of %d hosts in %s after connecting", len(hosts), elapsed)

	// Timing of the parts on one warm connection.
	n := c.Nodes[0]
	s := time.Now()
	if _, err := n.RunInput(ctx, "sh -s", strings.NewReader(factsScript)); err != nil {
		t.Fatal(err)
	}
	t.Logf("facts script: %s", time.Since(s))
	s = time.Now()
	if _, err := n.Docker().Info(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("docker Info: %s", time.Since(s))
	s = time.Now()
	if _, err := n.Docker().NetworkList(ctx, network.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("docker NetworkList: %s", time.Since(s))
	s = time.Now()
	if _, err := n.Run(ctx, "true"); err != nil {
		t.Fatal(err)
	}
	t.Logf("empty command round trip: %s", time.Since(s))
	s = time.Now()
	facts, err = c.Facts(ctx)
	t.Logf("facts of %d hosts again, warm: %s (err %v)", len(facts), time.Since(s), err)
}

func TestIntegrationDockerOverSSH(t *testing.T) {
	_, hosts := labHosts(t, 1)
	c := connectLab(t, hosts)
	n := c.Nodes[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ping, err := n.Docker().Ping(ctx)
	if err != nil {
		t.Fatalf("Ping: %v", err)
	}
	v, err := n.Docker().ServerVersion(ctx)
	if err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}
	if ping.APIVersion == "" || n.Docker().ClientVersion() != v.APIVersion {
		t.Errorf("negotiated %q, engine %q (ping %q)", n.Docker().ClientVersion(), v.APIVersion, ping.APIVersion)
	}
	// Several calls, one SSH connection, its channels reused.
	for i := 0; i < 5; i++ {
		if _, err := n.Docker().NetworkList(ctx, network.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if st := n.Stats(); st.DockerChannels > 2 {
		t.Errorf("%d Docker channels for 7 sequential calls: keep-alive not reused", st.DockerChannels)
	}
}

func TestIntegrationHostKeys(t *testing.T) {
	lab, hosts := labHosts(t, 1)
	h := hosts[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := []Option{WithAgentSocket(""), WithConnectTimeout(5 * time.Second)}

	recorded, err := os.ReadFile(lab.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("wrong key refused", func(t *testing.T) {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		other, _ := ssh.NewSignerFromKey(priv)
		kh := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(kh, []byte(knownhosts.Line([]string{h.DialHost() + ":22"}, other.PublicKey())+"\n"), 0o600)
		hw := h
		hw.KnownHosts = kh
		_, err := Dial(ctx, hw, append(opts, WithTrustNewHosts(true))...)
		var ck *ChangedHostKeyError
		if !errors.As(err, &ck) || !strings.Contains(err.Error(), "SHA256:") {
			t.Fatalf("want a changed-key refusal with the fingerprint, got %v", err)
		}
	})
	t.Run("trust-new-hosts records the key", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		hn := h
		hn.KnownHosts = kh
		_, err := Dial(ctx, hn, opts...)
		var uk *UnknownHostKeyError
		if !errors.As(err, &uk) {
			t.Fatalf("unknown host without trust: %v", err)
		}
		n, err := Dial(ctx, hn, append(opts, WithTrustNewHosts(true))...)
		if err != nil {
			t.Fatalf("with trust: %v", err)
		}
		n.Close()
		got, _ := os.ReadFile(kh)
		// The key recorded is the one the provider wrote for the host.
		fields := strings.Fields(string(got))
		if len(fields) != 3 || fields[0] != h.DialHost() || !strings.Contains(string(recorded), fields[1]+" "+fields[2]) {
			t.Errorf("recorded %q; provider's known_hosts %q", got, recorded)
		}
		n, err = Dial(ctx, hn, opts...)
		if err != nil {
			t.Fatalf("strict after recording: %v", err)
		}
		n.Close()
	})
}

func TestIntegrationDownHostReported(t *testing.T) {
	lab, hosts := labHosts(t, 2)
	ghost := hosts[1]
	ghost.Name = "ghost"
	// An address of the lab's underlay that no host holds.
	ghost.Address = lab.Subnet.Addr().Next().Next().Next().Next().Next().String() // .5
	ghost.SSHHost = ""
	all := append(hosts, ghost)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	c, err := Connect(ctx, all, WithAgentSocket(""), WithConnectTimeout(2*time.Second))
	if err == nil || !strings.Contains(err.Error(), "ghost: connecting to "+ghost.Address+":22") {
		t.Fatalf("want ghost reported, got %v", err)
	}
	defer c.Close()
	if time.Since(start) > 10*time.Second {
		t.Errorf("Connect took %s", time.Since(start))
	}
	if len(c.Nodes) != 2 || c.Down["ghost"] == nil {
		t.Fatalf("nodes %d, down %v", len(c.Nodes), c.Down)
	}
	facts, err := c.Facts(ctx)
	if err != nil || len(facts) != 2 {
		t.Errorf("the others still answer: %d facts, %v", len(facts), err)
	}
}

// A user that is neither root nor in the docker group reaches the host
// over SSH but gets a clear error from the Docker client.
func TestIntegrationNonDockerUser(t *testing.T) {
	lab, hosts := labHosts(t, 1)
	// "*": no password, but not a locked account, which sshd without PAM refuses.
	const user = "overlabt1"
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/bin/sh", "--password", "*", user).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		// --force: sshd's process for the user may not have exited yet.
		if out, err := exec.Command("userdel", "--force", user).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", user, err, out)
		}
	})
	if labtest.Engine(t).Chrooted() {
		// The host has a root filesystem, and so a user database, of its own.
		lab.MustRun(t, 1, "useradd --no-create-home --shell /bin/sh --password '*' "+user)
	}

	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKey(priv, "")
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "id_ed25519")
	os.WriteFile(keyPath, pem.EncodeToMemory(block), 0o600)
	sp, _ := ssh.NewPublicKey(pub)
	// sshd reads authorized keys as the user: let it traverse the lab's
	// root-only state directories (their files stay 0600) while the test runs.
	for d := lab.AuthorizedKeysDir(); d != "/" && d != "."; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode&0o001 == 0 {
			os.Chmod(d, mode|0o001)
			t.Cleanup(func() { os.Chmod(d, mode) })
		}
	}
	authFile := filepath.Join(lab.AuthorizedKeysDir(), user)
	if err := os.WriteFile(authFile, ssh.MarshalAuthorizedKey(sp), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(authFile) })

	h := hosts[0]
	h.User, h.IdentityFile = user, keyPath
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Dial(ctx, h, WithAgentSocket(""), WithConnectTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("Dial as %s: %v", user, err)
	}
	defer n.Close()
	out, err := n.Run(ctx, "id -un")
	if err != nil || strings.TrimSpace(string(out)) != user {
		t.Fatalf("id -un: %q %v", out, err)
	}
	_, err = n.Docker().Ping(ctx)
	var de *DockerSocketError
	if !errors.As(err, &de) {
		t.Fatalf("want *DockerSocketError, got %T %v", err, err)
	}
	for _, want := range []string{`user "` + user + `"`, "docker group", "usermod -aG docker " + user} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	t.Logf("error as the user sees it: %v", err)
}
