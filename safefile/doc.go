// Package safefile writes files that other users cannot redirect. A file is
// created exclusively (O_CREATE|O_EXCL: never through an existing name, so
// never through a symbolic link) under a temporary name in its own
// directory, then renamed into place, which replaces a link at the final
// name instead of following it. Directories are held open (os.Root), so a
// directory renamed or swapped for a link after it was opened does not move
// the writes elsewhere.
//
// It exists because overlab often runs as root in directories that other
// users can write (a project checkout, /tmp): a plain os.WriteFile there
// lets such a user point the file at one of root's.
package safefile
