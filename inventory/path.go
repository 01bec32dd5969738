package inventory

import "os"

// DefaultFile is the inventory looked for in the working directory.
const DefaultFile = "overlab.yaml"

// LocalInventory is where the local provider writes the inventory of its
// default lab.
const LocalInventory = "/var/lib/overlab/local/overlab/inventory.yaml"

// DefaultPath picks the inventory when -i is not given: overlab.yaml in the
// working directory, else the first of localInventories that exists
// (LocalInventory when none are given), else overlab.yaml so that the error
// names the file the user is expected to write.
func DefaultPath(localInventories ...string) string {
	if exists(DefaultFile) {
		return DefaultFile
	}
	if len(localInventories) == 0 {
		localInventories = []string{LocalInventory}
	}
	for _, p := range localInventories {
		if exists(p) {
			return p
		}
	}
	return DefaultFile
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// PathOr is path when given, else DefaultPath.
func PathOr(path string) string {
	if path != "" {
		return path
	}
	return DefaultPath()
}
