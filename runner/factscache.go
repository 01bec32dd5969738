package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/overlab/overlab/cluster"
)

// DefaultFactsTTL is how long a host's shell facts are reused by the next
// command (check right after up, up again): long enough for those, short
// enough that a host changed by hand is asked again.
const DefaultFactsTTL = 60 * time.Second

// factsCache keeps what each host's facts script printed, so that a command
// following another within the TTL asks only the engine (three API calls)
// and not the shell (a session: sshd's set-up and the login shell's start-up
// files, most of a gather). The engine is always asked afresh, and the entry
// is used only when the engine's ID is still the one it was recorded with
// and the engine runs the kernel the script saw (cluster.WithHostOutput).
type factsCache struct {
	dir string
	ttl time.Duration
	now func() time.Time
}

type factsEntry struct {
	SavedAt  time.Time `json:"saved_at"`
	EngineID string    `json:"engine_id"`
	Output   []byte    `json:"output"`
}

// path names a host by everything that says it is the same host reached the
// same way, its verified host key included: a re-created host (a new VM, a
// new local host) has a new key, even where its engine ID stays the same
// (Docker 20.10 derives it from /etc/docker/key.json, which the local hosts
// of one machine share).
func (fc *factsCache) path(n *cluster.Node) string {
	h := n.Host
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s@%s:%d\x00%s", h.Name, h.Address, h.User, h.DialHost(), h.Port, n.HostKey())))
	return filepath.Join(fc.dir, hex.EncodeToString(sum[:12])+".json")
}

// load returns the host's recent script output, or nil.
func (fc *factsCache) load(n *cluster.Node) *factsEntry {
	if fc == nil || n.HostKey() == "" {
		return nil
	}
	b, err := os.ReadFile(fc.path(n))
	if err != nil {
		return nil
	}
	var e factsEntry
	if json.Unmarshal(b, &e) != nil || len(e.Output) == 0 {
		return nil
	}
	if age := fc.now().Sub(e.SavedAt); age < 0 || age > fc.ttl {
		return nil
	}
	return &e
}

// store records facts gathered in full and without problems; a failure to
// write only costs the next command a session.
func (fc *factsCache) store(n *cluster.Node, f *cluster.Facts) {
	if fc == nil || f == nil || len(f.Problems) > 0 || f.EngineID == "" || n.HostKey() == "" || len(f.HostOutput()) == 0 {
		return
	}
	b, err := json.Marshal(factsEntry{SavedAt: fc.now(), EngineID: f.EngineID, Output: f.HostOutput()})
	if err != nil || os.MkdirAll(fc.dir, 0o700) != nil {
		return
	}
	tmp, err := os.CreateTemp(fc.dir, ".facts-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), fc.path(n)) != nil {
		os.Remove(tmp.Name())
	}
	fc.prune()
}

// prune removes entries no command will use again (every re-created host
// leaves one behind, under its old host key); a longer --facts-ttl given
// to another command keeps them up to 10 minutes.
func (fc *factsCache) prune() {
	entries, err := os.ReadDir(fc.dir)
	if err != nil {
		return
	}
	keep := max(fc.ttl, 10*time.Minute)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && filepath.Ext(e.Name()) == ".json" && fc.now().Sub(info.ModTime()) > keep {
			os.Remove(filepath.Join(fc.dir, e.Name()))
		}
	}
}

// gatherFacts asks the engine and reuses the host's recent shell facts when
// they still describe this engine and kernel; otherwise it gathers in full.
func (fc *factsCache) gatherFacts(ctx context.Context, n *cluster.Node) (f *cluster.Facts, cached bool, err error) {
	if e := fc.load(n); e != nil {
		f, err := cluster.GatherFacts(ctx, n, cluster.WithHostOutput(e.Output))
		if err == nil && f.EngineID == e.EngineID {
			return f, true, nil
		}
	}
	f, err = cluster.GatherFacts(ctx, n)
	if err == nil {
		fc.store(n, f)
	}
	return f, false, err
}
