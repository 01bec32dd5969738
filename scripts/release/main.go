// Command release builds overlab's release archives: one per OS and
// architecture (linux, darwin, windows × amd64, arm64), each with the binary
// (carrying the probes `make build` embedded), README.md and the
// Vagrantfile, and a checksums file in sha256sum's format. Archives are
// reproducible: sorted entries, fixed owner and time (SOURCE_DATE_EPOCH, else
// the last commit's time). `make release` runs it after `make build`.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Targets are the OS/architecture pairs of a release.
var Targets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// extras go into every archive beside the binary.
var extras = []string{"README.md", "Vagrantfile"}

func main() {
	version := flag.String("version", "", "the release's version (required)")
	out := flag.String("out", "dist", "where the archives and checksums go")
	goCmd := flag.String("go", "go", "the go command")
	flag.Parse()
	if *version == "" || strings.ContainsAny(*version, "/\\ ") {
		fmt.Fprintln(os.Stderr, "release: --version VERSION is required (no slashes or spaces)")
		os.Exit(2)
	}
	if err := run(*goCmd, *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(goCmd, version, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	mtime := sourceDate()
	var sums bytes.Buffer
	for _, t := range Targets {
		start := time.Now()
		goos, goarch, _ := strings.Cut(t, "/")
		bin, err := build(goCmd, version, goos, goarch)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		name := fmt.Sprintf("overlab_%s_%s_%s", version, goos, goarch)
		files := []file{{name: "overlab" + map[bool]string{true: ".exe"}[goos == "windows"], data: bin, mode: 0o755}}
		for _, e := range extras {
			data, err := os.ReadFile(e)
			if err != nil {
				return err
			}
			files = append(files, file{name: e, data: data, mode: 0o644})
		}
		archive, ext := tarGz, ".tar.gz"
		if goos == "windows" {
			archive, ext = zipArchive, ".zip"
		}
		var buf bytes.Buffer
		if err := archive(&buf, name, files, mtime); err != nil {
			return err
		}
		path := filepath.Join(out, name+ext)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(buf.Bytes())
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), filepath.Base(path))
		fmt.Printf("%-14s %s  %5.1f MB  %v\n", t, path, float64(buf.Len())/1e6, time.Since(start).Round(100*time.Millisecond))
	}
	sumsPath := filepath.Join(out, fmt.Sprintf("overlab_%s_checksums.txt", version))
	fmt.Println(sumsPath)
	return os.WriteFile(sumsPath, sums.Bytes(), 0o644)
}

// build cross-compiles overlab, static, with the version linked in.
func build(goCmd, version, goos, goarch string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "overlab-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "overlab")
	cmd := exec.Command(goCmd, "build", "-trimpath",
		"-ldflags=-s -w -X github.com/overlab/overlab/version.version="+version, "-o", bin, "./cmd/overlab")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, out)
	}
	return os.ReadFile(bin)
}

// sourceDate is the archives' file time: SOURCE_DATE_EPOCH, else the last
// commit's, else the Unix epoch.
func sourceDate() time.Time {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		if out, err := exec.Command("git", "log", "-1", "--format=%ct").Output(); err == nil {
			s = strings.TrimSpace(string(out))
		}
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Unix(n, 0).UTC()
}

type file struct {
	name string
	data []byte
	mode int64
}

func tarGz(w io.Writer, dir string, files []file, mtime time.Time) error {
	gz, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
		return err
	}
	for _, f := range files {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: dir + "/" + f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func zipArchive(w io.Writer, dir string, files []file, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		h := &zip.FileHeader{Name: dir + "/" + f.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(f.mode))
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}
