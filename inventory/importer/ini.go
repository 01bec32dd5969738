package importer

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/parselimit"
)

// maxRangeHosts bounds what one host pattern such as node[1:99999] may
// expand to.
const maxRangeHosts = 1000

// AnsibleINI maps an Ansible INI inventory: host lines with variables,
// [group], [group:vars] and [group:children] sections, [all:vars], and host
// ranges such as node[1:3] or db-[a:c].
func AnsibleINI(r io.Reader, opts AnsibleOptions) (*inventory.Inventory, error) {
	a, err := parseAnsibleINI(parselimit.NewReader(r))
	if err != nil {
		return nil, err
	}
	return a.toInventory(opts)
}

// parseAnsibleINI reads the inventory line by line; an error names the line.
func parseAnsibleINI(r io.Reader) (*ansibleInventory, error) {
	a := newAnsibleInventory()
	a.group("all")
	section, kind := "ungrouped", "hosts"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		var err error
		if line[0] == '[' {
			if section, kind, err = iniSection(line); err == nil {
				a.group(section)
			}
		} else {
			err = a.iniLine(section, kind, line)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading INI inventory: %w", err)
	}
	if len(a.hostOrder) == 0 {
		return nil, fmt.Errorf("the inventory has no hosts")
	}
	return a, nil
}

// iniSection reads a section header: [group], [group:vars] or
// [group:children]; kind is "hosts", "vars" or "children".
func iniSection(line string) (section, kind string, err error) {
	end := strings.IndexByte(line, ']')
	if end < 0 || strings.TrimSpace(line[end+1:]) != "" && !isComment(line[end+1:]) {
		return "", "", fmt.Errorf("section header %q is not [group], [group:vars] or [group:children]", line)
	}
	name := line[1:end]
	section, kind = name, "hosts"
	if g, suffix, ok := strings.Cut(name, ":"); ok {
		section, kind = g, suffix
		if kind != "vars" && kind != "children" {
			return "", "", fmt.Errorf("section [%s]: unknown suffix :%s (want :vars or :children)", name, kind)
		}
	}
	if !validGroupName(section) {
		return "", "", fmt.Errorf("group name %q: use letters, digits and underscores", section)
	}
	return section, kind, nil
}

// iniLine reads a line of a section of the given kind.
func (a *ansibleInventory) iniLine(section, kind, line string) error {
	switch kind {
	case "vars":
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("in [%s:vars], want key=value, got %q", section, line)
		}
		a.group(section).vars[strings.TrimSpace(k)] = unquote(strings.TrimSpace(v))
	case "children":
		child := strings.Fields(line)[0]
		if !validGroupName(child) {
			return fmt.Errorf("child group name %q: use letters, digits and underscores", child)
		}
		g := a.group(section)
		a.group(child)
		g.children = append(g.children, child)
	default:
		return a.iniHostLine(section, line)
	}
	return nil
}

// iniHostLine reads a host line: a name or pattern (node[1:3], with an
// optional :port) and key=value variables.
func (a *ansibleInventory) iniHostLine(section, line string) error {
	words := splitWords(line)
	if len(words) == 0 {
		return nil
	}
	vars := map[string]string{}
	for _, w := range words[1:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return fmt.Errorf("host %s: want key=value after the host name, got %q", words[0], w)
		}
		vars[k] = v
	}
	hosts, port, err := expandHostPattern(words[0])
	if err != nil {
		return err
	}
	// A port in the pattern is a default: ansible_port on the line wins.
	if port != "" {
		if _, set := vars["ansible_port"]; !set {
			vars["ansible_port"] = port
		}
	}
	for _, h := range hosts {
		a.addHost(section, h, vars)
	}
	return nil
}

func isComment(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s[0] == '#' || s[0] == ';'
}

func validGroupName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// splitWords splits like a shell: white space separates words, single and
// double quotes group, and an unquoted # starts a comment.
func splitWords(s string) []string {
	var words []string
	var b strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				b.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			return words
		default:
			b.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, b.String())
	}
	return words
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// expandHostPattern expands Ansible ranges (node[1:3], node[01:10:2],
// db-[a:c], any number of them) and splits a trailing :port off a name or
// IPv4 address.
func expandHostPattern(p string) (hosts []string, port string, err error) {
	if i := strings.LastIndexByte(p, ':'); i > 0 && strings.Count(p, ":") == 1 && !strings.Contains(p[i:], "]") {
		p, port = p[:i], p[i+1:]
		if _, err := strconv.Atoi(port); err != nil {
			return nil, "", fmt.Errorf("host %s: port %q is not a number", p, port)
		}
	}
	hosts, err = expandRanges(p)
	return hosts, port, err
}

func expandRanges(p string) ([]string, error) {
	open := strings.IndexByte(p, '[')
	if open < 0 {
		if strings.ContainsRune(p, ']') {
			return nil, fmt.Errorf("host pattern %q: unbalanced ']'", p)
		}
		return []string{p}, nil
	}
	end := strings.IndexByte(p[open:], ']')
	if end < 0 {
		return nil, fmt.Errorf("host pattern %q: missing ']'", p)
	}
	end += open
	items, err := rangeItems(p[open+1 : end])
	if err != nil {
		return nil, fmt.Errorf("host pattern %q: %v", p, err)
	}
	rest, err := expandRanges(p[end+1:])
	if err != nil {
		return nil, err
	}
	if len(items)*len(rest) > maxRangeHosts {
		return nil, fmt.Errorf("host pattern %q expands to more than %d hosts", p, maxRangeHosts)
	}
	var out []string
	for _, it := range items {
		for _, r := range rest {
			out = append(out, p[:open]+it+r)
		}
	}
	return out, nil
}

// rangeItems expands "1:3", "01:10:2" or "a:c".
func rangeItems(spec string) ([]string, error) {
	parts := strings.Split(spec, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return nil, fmt.Errorf("range [%s]: want [start:end] or [start:end:step]", spec)
	}
	step := 1
	if len(parts) == 3 {
		s, err := strconv.Atoi(parts[2])
		if err != nil || s < 1 {
			return nil, fmt.Errorf("range [%s]: step %q is not a positive number", spec, parts[2])
		}
		step = s
	}
	lo, hi := parts[0], parts[1]
	if isLetter(lo) && isLetter(hi) {
		if lo[0] > hi[0] {
			return nil, fmt.Errorf("range [%s]: %s comes after %s", spec, lo, hi)
		}
		var out []string
		for c := lo[0]; c <= hi[0]; c += byte(step) {
			out = append(out, string(c))
			if int(c)+step > 255 {
				break
			}
		}
		return out, nil
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if lo == "" || hi == "" || err1 != nil || err2 != nil || a < 0 {
		return nil, fmt.Errorf("range [%s]: want numbers or single letters", spec)
	}
	if a > b {
		return nil, fmt.Errorf("range [%s]: %d comes after %d", spec, a, b)
	}
	if (b-a)/step+1 > maxRangeHosts {
		return nil, fmt.Errorf("range [%s] expands to more than %d hosts", spec, maxRangeHosts)
	}
	width := 0
	if len(lo) > 1 && lo[0] == '0' { // node[01:10] keeps the leading zero
		width = len(lo)
	}
	count := (b-a)/step + 1 // counted, so that b near MaxInt cannot overflow
	out := make([]string, count)
	for k := range out {
		out[k] = fmt.Sprintf("%0*d", width, a+k*step)
	}
	return out, nil
}

func isLetter(s string) bool {
	return len(s) == 1 && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}
