//go:build unix

package safefile

import (
	"io/fs"
	"syscall"
)

// noFollow refuses a link at the name even where O_EXCL alone would.
const noFollow = syscall.O_NOFOLLOW

// owner is the file's owner and group.
func owner(info fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
