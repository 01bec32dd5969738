package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is a directory held open: names are resolved inside it, and no
// symbolic link leads out of it.
type Dir struct {
	root *os.Root
	path string
	info fs.FileInfo
}

// OpenDir opens the directory at path. Its last element must not be a
// symbolic link (the parents may be): the link could be someone else's.
func OpenDir(path string) (*Dir, error) {
	lst, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if lst.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is a symbolic link, not a directory: name the directory itself", path)
	}
	if !lst.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", path)
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	info, err := root.Stat(".")
	if err != nil {
		root.Close()
		return nil, err
	}
	// Between Lstat and OpenRoot the name could have been swapped for a
	// link: what is open must be what was looked at.
	if !os.SameFile(lst, info) {
		root.Close()
		return nil, fmt.Errorf("%s changed while it was opened", path)
	}
	return &Dir{root: root, path: path, info: info}, nil
}

// MkdirAll creates path and its parents as needed (perm, before umask) and
// opens it.
func MkdirAll(path string, perm os.FileMode) (*Dir, error) {
	if err := os.MkdirAll(path, perm); err != nil {
		return nil, err
	}
	return OpenDir(path)
}

// Path is the directory's path as it was opened.
func (d *Dir) Path() string { return d.path }

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// OthersCanWrite says who besides the effective user can change the
// directory's entries (rename, remove or replace them), or "" when nobody
// but the effective user and root can. A directory the effective user owns
// counts as theirs, whatever its mode. (Where files have no owner uid, as
// on Windows, it says "".)
func (d *Dir) OthersCanWrite() string {
	uid, gid, ok := owner(d.info)
	if !ok || uid == os.Geteuid() {
		return ""
	}
	mode := d.info.Mode().Perm()
	switch {
	case mode&0o002 != 0:
		return fmt.Sprintf("every user can write it (mode %04o, owner uid %d)", mode, uid)
	case mode&0o020 != 0:
		return fmt.Sprintf("group %d can write it (mode %04o, owner uid %d)", gid, mode, uid)
	case uid != 0:
		return fmt.Sprintf("it belongs to uid %d, not to uid %d who runs overlab", uid, os.Geteuid())
	}
	return ""
}

// Mkdir creates the directory name inside d, failing if anything (a link
// included) already has that name, and opens it.
func (d *Dir) Mkdir(name string, perm os.FileMode) (*Dir, error) {
	if err := d.root.Mkdir(name, perm); err != nil {
		return nil, err
	}
	return d.Open(name)
}

// Open opens the directory name inside d; it must stay inside d.
func (d *Dir) Open(name string) (*Dir, error) {
	sub, err := d.root.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	info, err := sub.Stat(".")
	if err != nil {
		sub.Close()
		return nil, err
	}
	return &Dir{root: sub, path: filepath.Join(d.path, name), info: info}, nil
}

// WriteFile writes data to name inside d: a new temporary file created
// exclusively beside it, renamed over name once complete. A reader never
// sees half a file, and a link at name is replaced, not followed.
func (d *Dir) WriteFile(name string, data []byte, perm os.FileMode) error {
	tmp, f, err := d.createTemp(name, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(d.path, name), err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.root.Rename(tmp, name)
	}
	if err != nil {
		_ = d.root.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Join(d.path, name), err)
	}
	return nil
}

// createTemp creates ".NAME.tmp-RANDOM" exclusively, without following a
// link, with mode perm (umask aside).
func (d *Dir) createTemp(name string, perm os.FileMode) (string, *os.File, error) {
	for range 10 {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", nil, err
		}
		tmp := "." + name + ".tmp-" + hex.EncodeToString(b[:])
		f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return tmp, f, err
	}
	return "", nil, errors.New("no free temporary name")
}

// WriteFile writes data to path the way Dir.WriteFile does, in path's
// directory (opened as it is named, links in it included), creating that
// directory if needed.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir, name := filepath.Split(path)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("writing %s: not a file name", path)
	}
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	d := &Dir{root: root, path: filepath.Clean(dir)}
	defer d.Close()
	return d.WriteFile(name, data, perm)
}
