//go:build linux

package local

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MirrorEnv overrides the Debian mirror root filesystems are built from.
const MirrorEnv = "OVERLAB_DEBIAN_MIRROR"

// debianSuites are the suite names that mark a source as Debian's own
// archive (and not a third party's repository that apt also uses).
var debianSuites = map[string]bool{
	"bullseye": true, "bookworm": true, "trixie": true, "forky": true, "sid": true,
	"oldstable": true, "stable": true, "testing": true, "unstable": true,
}

// aptSource is one "deb" source: where, and which suites.
type aptSource struct {
	URI    string
	Suites []string
	File   string
}

// aptMirror returns the Debian archive mirror that apt on this machine
// already uses: the first "deb" source (sources.list, then
// sources.list.d/*.list and *.sources in name order) that serves a plain
// Debian suite. MirrorEnv, when set, wins.
func aptMirror(etcApt string) (string, error) {
	if m := os.Getenv(MirrorEnv); m != "" {
		return m, nil
	}
	files := []string{filepath.Join(etcApt, "sources.list")}
	more, _ := filepath.Glob(filepath.Join(etcApt, "sources.list.d", "*"))
	sort.Strings(more)
	files = append(files, more...)
	var read []string
	for _, f := range files {
		srcs, err := readAptSources(f)
		if err != nil {
			continue
		}
		read = append(read, f)
		for _, s := range srcs {
			for _, suite := range s.Suites {
				if debianSuites[suite] {
					return strings.TrimRight(s.URI, "/"), nil
				}
			}
		}
	}
	return "", fmt.Errorf("no Debian archive mirror found in %s (read: %s): set %s to one, e.g. %s=http://deb.debian.org/debian",
		etcApt, strings.Join(read, ", "), MirrorEnv, MirrorEnv)
}

// readAptSources parses one file of apt sources, in the one-line format
// (*.list, sources.list) or deb822 (*.sources); other files yield nothing.
func readAptSources(path string) ([]aptSource, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(path, ".sources"):
		return parseDeb822Sources(string(b), path), nil
	case strings.HasSuffix(path, ".list"):
		return parseOneLineSources(string(b), path), nil
	}
	return nil, nil
}

// parseOneLineSources reads "deb [options] URI suite [component...]" lines.
func parseOneLineSources(text, file string) []aptSource {
	var out []aptSource
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if !strings.HasPrefix(line, "deb ") && !strings.HasPrefix(line, "deb\t") {
			continue
		}
		rest := strings.TrimSpace(line[3:])
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		}
		fs := strings.Fields(rest)
		if len(fs) >= 2 {
			out = append(out, aptSource{URI: fs[0], Suites: []string{fs[1]}, File: file})
		}
	}
	return out
}

// parseDeb822Sources reads stanzas of "Types:", "URIs:", "Suites:" fields;
// stanzas with "Enabled: no" are skipped.
func parseDeb822Sources(text, file string) []aptSource {
	var out []aptSource
	for _, stanza := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if ok && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !contains(strings.Fields(fields["types"]), "deb") || strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		suites := strings.Fields(fields["suites"])
		for _, uri := range strings.Fields(fields["uris"]) {
			out = append(out, aptSource{URI: uri, Suites: suites, File: file})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
