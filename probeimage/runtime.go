package probeimage

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// RuntimeFile is a file that a dynamically linked probe needs at run time:
// its loader or a shared library, copied from this machine into the image
// at the path where the loader looks for it.
type RuntimeFile struct {
	Path   string // absolute, inside the image (and where it was found here)
	Source string // the file to read on this machine, symlinks resolved
}

// ldConf is where the machine's loader reads its extra search directories.
const ldConf = "/etc/ld.so.conf"

// defaultLibDirs are searched after RUNPATH and ld.so.conf, as the loader
// does for its built-in system directories.
var defaultLibDirs = []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// Runtime lists what b needs to run in an image that has nothing else: its
// loader (PT_INTERP) and, transitively, every shared library it names, as
// the loader on this machine would find them. A static binary needs nothing.
// `go build` of overlab on a machine with a C compiler is such a binary
// (cgo for net and os/user): it needs the loader and libc.
func (b BinaryInfo) Runtime() ([]RuntimeFile, error) {
	if b.Static && len(b.Needed) == 0 {
		return nil, nil
	}
	r := resolver{bin: b, dirs: append(ldConfDirs(ldConf, 0), defaultLibDirs...), seen: map[string]bool{}}
	if b.Interp != "" {
		src, err := filepath.EvalSymlinks(b.Interp)
		if err != nil {
			return nil, b.runtimeError(b.Interp, "is missing on this machine")
		}
		r.add(RuntimeFile{Path: b.Interp, Source: src})
		// The loader is loaded already: a library naming it gets that one.
		r.seen[path.Base(b.Interp)] = true
	}
	if err := r.needs(b.Path, b.Needed, b.RunPath); err != nil {
		return nil, err
	}
	return r.files, nil
}

// LibraryPath is the LD_LIBRARY_PATH that makes the loader in the image
// find files without the machine's ld.so.cache: their directories, in order.
func LibraryPath(files []RuntimeFile) string {
	var dirs []string
	for _, f := range files {
		if d := path.Dir(f.Path); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return strings.Join(dirs, ":")
}

func (b BinaryInfo) runtimeError(what, why string) error {
	return fmt.Errorf("probe binary %s is dynamically linked and %s %s: build overlab statically with "+
		"`CGO_ENABLED=0 go build -o overlab ./cmd/overlab` (or pass such a build with --probe-binary)", b.Path, what, why)
}

type resolver struct {
	bin   BinaryInfo
	dirs  []string
	seen  map[string]bool // sonames resolved or being resolved
	files []RuntimeFile
}

func (r *resolver) add(f RuntimeFile) {
	if !slices.ContainsFunc(r.files, func(g RuntimeFile) bool { return g.Path == f.Path }) {
		r.files = append(r.files, f)
	}
}

// needs resolves the libraries that the object at from names, depth first.
func (r *resolver) needs(from string, needed, runPath []string) error {
	origin := filepath.Dir(from)
	for _, name := range needed {
		if r.seen[name] {
			continue
		}
		r.seen[name] = true
		var search []string
		for _, d := range runPath {
			search = append(search, strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", origin), "$ORIGIN", origin))
		}
		search = append(search, r.dirs...)
		found, info, ok := r.find(name, search)
		if !ok {
			return r.bin.runtimeError("needs "+name, "which is in none of "+strings.Join(search, ", "))
		}
		src, err := filepath.EvalSymlinks(found)
		if err != nil {
			return r.bin.runtimeError("needs "+name, "whose link "+found+" is broken")
		}
		r.add(RuntimeFile{Path: found, Source: src})
		if err := r.needs(found, info.Needed, info.RunPath); err != nil {
			return err
		}
	}
	return nil
}

// find returns the first candidate of the binary's class and machine: a
// 32-bit or foreign library of the same name is skipped, as the loader does.
func (r *resolver) find(name string, dirs []string) (string, BinaryInfo, bool) {
	if strings.Contains(name, "/") {
		dirs = []string{""}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		info, err := InspectBinary(p)
		if err != nil || info.class != r.bin.class || info.machine != r.bin.machine {
			continue
		}
		return filepath.Clean(p), info, true
	}
	return "", BinaryInfo{}, false
}

// ldConfDirs reads the directories of an ld.so.conf, following its
// includes (bounded, against include loops).
func ldConfDirs(file string, depth int) []string {
	f, err := os.Open(file)
	if err != nil || depth > 4 {
		return nil
	}
	defer f.Close()
	var dirs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "include":
			for _, pattern := range fields[1:] {
				if !filepath.IsAbs(pattern) {
					pattern = filepath.Join(filepath.Dir(file), pattern)
				}
				matches, _ := filepath.Glob(pattern)
				for _, m := range matches {
					dirs = append(dirs, ldConfDirs(m, depth+1)...)
				}
			}
		case filepath.IsAbs(fields[0]):
			dirs = append(dirs, fields[0])
		}
	}
	return dirs
}
