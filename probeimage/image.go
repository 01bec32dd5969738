package probeimage

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/overlab/overlab/log"
)

const (
	// Repository is the image name; the tag is the content hash.
	Repository = "overlab-probe"
	// LabelHash holds the content hash on the image, so that a tag moved by
	// hand is seen as stale.
	LabelHash = "org.overlab.probe.hash"
	// DefaultBusybox is where Debian's busybox-static installs.
	DefaultBusybox = "/bin/busybox"
	// layoutVersion changes whenever the file system or Changes change
	// without the binaries changing.
	layoutVersion = "overlab-probe-image/1"
)

// Applets linked to /bin/busybox: enough to repeat any check by hand and to
// look around a network namespace. Never "busybox" itself (a symlink of that
// name over the binary would leave an image with no shell).
var Applets = []string{
	"[", "arp", "arping", "ash", "awk", "cat", "cp", "cut", "date", "echo", "env", "false", "find",
	"grep", "head", "hostname", "id", "ifconfig", "ip", "ipcalc", "ipneigh", "kill", "less", "ls",
	"mkdir", "mv", "nc", "netstat", "nslookup", "ping", "ping6", "printf", "ps", "rm", "route",
	"sed", "seq", "sh", "sleep", "sort", "stat", "sysctl", "tail", "tee", "telnet", "test",
	"timeout", "top", "tr", "traceroute", "traceroute6", "true", "uname", "vi", "wc", "wget",
	"which", "xargs",
}

// Image is the probe image built from one binary (and busybox).
type Image struct {
	Ref     string // overlab-probe:<Hash>
	Hash    string // 12 hex digits of the content's SHA-256
	Binary  BinaryInfo
	Busybox string // "" when the image has no busybox
	// Embedded says the binary is the dedicated probe built into overlab
	// (`make build`), not a file.
	Embedded bool
	// Runtime is what a dynamically linked binary needs: its loader and
	// libraries from this machine. Empty for a static binary.
	Runtime []RuntimeFile

	logger  log.Logger
	binData []byte // the embedded probe's bytes
}

type config struct {
	binary       string
	noEmbedded   bool
	busybox      string
	busyboxGiven bool
	logger       log.Logger
	hostArch     string
	builder      Builder
	self         func() (string, error) // the running overlab, when it can be a probe
}

// Option configures New and Ensure.
type Option func(*config)

// WithBinary uses path as the probe instead of the embedded probe or the
// running overlab.
func WithBinary(path string) Option { return func(c *config) { c.binary = path } }

// withoutEmbedded ignores the embedded probe (tests of the fallback).
func withoutEmbedded() Option { return func(c *config) { c.noEmbedded = true } }

// WithBusybox takes busybox from path; "" builds an image without it. A
// busybox given here must suit the binary (static, same architecture).
func WithBusybox(path string) Option {
	return func(c *config) { c.busybox, c.busyboxGiven = path, true }
}

// WithBuilder builds the probe for an architecture that overlab neither
// embeds nor runs as (default: GoBuilder, with the Go toolchain).
func WithBuilder(b Builder) Option { return func(c *config) { c.builder = b } }

// WithLogger reports what was left out and what was loaded.
func WithLogger(l log.Logger) Option { return func(c *config) { c.logger = l } }

// WithHostArch makes Ensure refuse an engine of another architecture.
func WithHostArch(arch string) Option { return func(c *config) { c.hostArch = arch } }

func newConfig(opts []Option) config {
	c := config{busybox: DefaultBusybox, logger: log.NoOp{}, self: runningProbe}
	for _, o := range opts {
		o(&c)
	}
	if c.builder == nil {
		c.builder = DefaultBuilder(c.logger)
	}
	return c
}

// New inspects and hashes the probe's content once; the Image can then be
// ensured on any number of engines.
func New(opts ...Option) (*Image, error) {
	return newImage(context.Background(), newConfig(opts), "")
}

// newImage is the image for hosts of goarch ("": overlab's own, or the
// given binary's).
func newImage(ctx context.Context, c config, goarch string) (*Image, error) {
	img, err := probeBinary(ctx, c, goarch)
	if err != nil {
		return nil, err
	}
	bin := img.Binary
	if c.busybox != "" {
		bb, err := suitableBusybox(c.busybox, bin)
		switch {
		case err == nil:
			img.Busybox = bb
		case c.busyboxGiven:
			return nil, err
		case errors.Is(err, errBusyboxArch):
			c.logger.V(1).Infof("probe image for %s without busybox: %v", bin.Arch, err)
		case !errors.Is(err, os.ErrNotExist):
			c.logger.Warnf("probe image without busybox (no shell for docker exec): %v", err)
		default:
			c.logger.V(1).Infof("probe image without busybox: %s not found (apt-get install busybox-static)", c.busybox)
		}
	}
	h := sha256.New()
	if err := img.writeTar(io.Discard, h); err != nil {
		return nil, err
	}
	img.Hash = hex.EncodeToString(h.Sum(nil))[:12]
	img.Ref = Repository + ":" + img.Hash
	return img, nil
}

// probeBinary makes the image's program for goarch (see program) and
// what a dynamically linked one needs beside it.
func probeBinary(ctx context.Context, c config, goarch string) (*Image, error) {
	prog, err := program(ctx, c, goarch)
	if err != nil {
		return nil, err
	}
	img := &Image{logger: c.logger, Binary: prog.Info, Embedded: prog.Origin == OriginEmbedded, binData: prog.data}
	if img.Runtime, err = img.Binary.Runtime(); err != nil {
		return nil, err
	}
	if len(img.Runtime) > 0 {
		c.logger.V(1).Infof("probe binary %s is dynamically linked: the image carries its loader and libraries from this machine (%s)", img.Binary.Path, runtimePaths(img.Runtime))
	}
	return img, nil
}

// errBusyboxArch: this machine's busybox is not of the hosts' architecture
// (an arm64 host's image from an amd64 machine): the image goes without.
var errBusyboxArch = errors.New("no busybox of that architecture")

func suitableBusybox(path string, bin BinaryInfo) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	bb, err := InspectBinary(path)
	if err != nil {
		return "", err
	}
	if !bb.Static {
		return "", fmt.Errorf("busybox %s is dynamically linked: install busybox-static", path)
	}
	if bb.Arch != bin.Arch {
		return "", fmt.Errorf("%w: busybox %s is %s but the probe binary is %s", errBusyboxArch, path, bb.Arch, bin.Arch)
	}
	return path, nil
}

func runtimePaths(files []RuntimeFile) string {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	return strings.Join(paths, ", ")
}

// Changes are the Dockerfile instructions applied on import: an imported
// image has no PATH and no entrypoint.
func (img *Image) Changes() []string {
	return append(img.contentChanges(),
		"LABEL "+LabelHash+"="+img.Hash,
		"LABEL org.overlab.probe.arch="+img.Binary.Arch)
}

// contentChanges are the changes that the content hash covers.
func (img *Image) contentChanges() []string {
	out := []string{
		"ENV PATH=/bin:/",
		`ENTRYPOINT ["/overlab","probe","serve"]`,
		"EXPOSE 7000/tcp 7001/udp 8080/tcp",
	}
	if len(img.Runtime) > 0 {
		// The image has no ld.so.cache: the loader is told where to look.
		out = append(out, "ENV LD_LIBRARY_PATH="+LibraryPath(img.Runtime))
	}
	return out
}

// Platform is the image's platform, as told to the engine on import.
func (img *Image) Platform() string { return "linux/" + img.Binary.Arch }

// WriteTar writes the image's root file system. It fails if the files
// changed since New, rather than load content that the hash does not name.
func (img *Image) WriteTar(w io.Writer) error {
	h := sha256.New()
	if err := img.writeTar(w, h); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil))[:12]; got != img.Hash {
		return fmt.Errorf("probe content changed while loading (hash %s, was %s): run again", got, img.Hash)
	}
	return nil
}

// runtimeDirs are the directories that the runtime files need, parents
// first, leaving out those the image has anyway.
func runtimeDirs(files []RuntimeFile) []string {
	have := map[string]bool{"bin": true, "etc": true, "root": true, "tmp": true}
	var out []string
	for _, f := range files {
		var chain []string
		for d := path.Dir(strings.TrimPrefix(f.Path, "/")); d != "." && d != "/" && !have[d]; d = path.Dir(d) {
			have[d] = true
			chain = append([]string{d}, chain...)
		}
		out = append(out, chain...)
	}
	return out
}

// epoch makes the tar byte-for-byte reproducible.
var epoch = time.Unix(0, 0).UTC()

// writeTar writes the tar to w and the content identity (not the tar bytes,
// so that the hash does not depend on archive/tar's encoding) to h.
func (img *Image) writeTar(w io.Writer, h hash.Hash) error {
	fmt.Fprintf(h, "%s\n%s\n", layoutVersion, strings.Join(img.contentChanges(), "\n"))
	tw := tar.NewWriter(w)
	dir := func(name string, mode int64) error {
		fmt.Fprintf(h, "dir %s %o\n", name, mode)
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: epoch, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		fmt.Fprintf(h, "file %s %o %d\n", name, mode, len(data))
		h.Write(data)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	copyFile := func(name string, src string, mode int64) error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "file %s %o %d\n", name, mode, st.Size())
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: st.Size(), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		n, err := io.Copy(io.MultiWriter(tw, h), f)
		if err == nil && n != st.Size() {
			err = fmt.Errorf("%s changed size while being read", src)
		}
		return err
	}
	link := func(name, target string) error {
		fmt.Fprintf(h, "link %s %s\n", name, target)
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch, Format: tar.FormatPAX})
	}

	steps := []func() error{
		func() error { return dir("bin", 0o755) },
		func() error { return dir("etc", 0o755) },
		func() error { return dir("root", 0o700) },
		func() error { return dir("tmp", 0o1777) },
		func() error { return file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n")) },
		func() error { return file("etc/group", 0o644, []byte("root:x:0:\n")) },
		// Go's resolver and busybox both read it; files first, as on Debian.
		func() error { return file("etc/nsswitch.conf", 0o644, []byte("hosts: files dns\n")) },
		func() error {
			if img.binData != nil {
				return file("overlab", 0o755, img.binData)
			}
			return copyFile("overlab", img.Binary.Path, 0o755)
		},
	}
	for _, d := range runtimeDirs(img.Runtime) {
		steps = append(steps, func() error { return dir(d, 0o755) })
	}
	for _, f := range img.Runtime {
		steps = append(steps, func() error { return copyFile(strings.TrimPrefix(f.Path, "/"), f.Source, 0o755) })
	}
	if img.Busybox != "" {
		steps = append(steps, func() error { return copyFile("bin/busybox", img.Busybox, 0o755) })
		for _, a := range Applets {
			steps = append(steps, func() error { return link("bin/"+a, "busybox") })
		}
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("probe image: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("probe image: %w", err)
	}
	return nil
}
