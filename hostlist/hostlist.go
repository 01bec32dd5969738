package hostlist

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MinRun is the shortest run of consecutive numbers written as a range:
// "node1, node2" reads better than "node[1:2]".
const MinRun = 3

// Short is the longest list written out name by name whatever its runs:
// a 3-host lab reads "node1, node2, node3", not "node[1:3]".
const Short = 5

// name is a host name split around its last run of digits.
type name struct {
	prefix, suffix string
	num            int
	width          int // digits when zero-padded ("007": 3), else 0
	ok             bool
	raw            string
}

func split(s string) name {
	end := strings.LastIndexFunc(s, isDigit) + 1
	if end == 0 {
		return name{prefix: s, raw: s}
	}
	start := strings.LastIndexFunc(s[:end], func(r rune) bool { return !isDigit(r) }) + 1
	digits := s[start:end]
	n, err := strconv.Atoi(digits)
	if err != nil || len(digits) > 9 {
		return name{prefix: s, raw: s}
	}
	w := 0
	if len(digits) > 1 && digits[0] == '0' {
		w = len(digits)
	}
	return name{prefix: s[:start], suffix: s[end:], num: n, width: w, ok: true, raw: s}
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// Join sorts hosts (numbers by value, "node2" before "node10"), drops
// duplicates and joins them with ", "; a list longer than Short has each
// run of MinRun or more consecutive numbers of one prefix, suffix and
// padding written as a range:
// node001, node002, ... node040, node042 → "node[001:040], node042".
func Join(hosts []string) string {
	names := make([]name, 0, len(hosts))
	for _, h := range hosts {
		names = append(names, split(h))
	}
	slices.SortFunc(names, compare)
	names = slices.CompactFunc(names, func(a, b name) bool { return a.raw == b.raw })

	var parts []string
	for i := 0; i < len(names); {
		j := i + 1
		for j < len(names) && next(names[j-1], names[j]) {
			j++
		}
		if j-i >= MinRun && len(names) > Short {
			a, b := names[i], names[j-1]
			parts = append(parts, fmt.Sprintf("%s[%s:%s]%s", a.prefix, digits(a), digits(b), a.suffix))
		} else {
			for _, n := range names[i:j] {
				parts = append(parts, n.raw)
			}
		}
		i = j
	}
	return strings.Join(parts, ", ")
}

// next: b directly follows a in one numbered series.
// A padded series goes on past its padding's last number of that width
// (node099, node100) and a name without padding continues it when it has
// as many digits.
func next(a, b name) bool {
	if !a.ok || !b.ok || a.prefix != b.prefix || a.suffix != b.suffix || b.num != a.num+1 {
		return false
	}
	return a.width == b.width || (a.width > 0 && b.width == 0 && len(strconv.Itoa(b.num)) == a.width)
}

func digits(n name) string { return fmt.Sprintf("%0*d", n.width, n.num) }

// compare orders by prefix, suffix, number, padding, then the name itself;
// a name without digits has its whole self as prefix and sorts first.
func compare(a, b name) int {
	if c := strings.Compare(a.prefix, b.prefix); c != 0 {
		return c
	}
	if c := strings.Compare(a.suffix, b.suffix); c != 0 {
		return c
	}
	if a.ok != b.ok {
		if !a.ok {
			return -1
		}
		return 1
	}
	if a.num != b.num {
		return a.num - b.num
	}
	if a.width != b.width {
		return a.width - b.width
	}
	return strings.Compare(a.raw, b.raw)
}

// Sort orders hosts in place as Join does: by prefix, then number
// ("node2" before "node10").
func Sort(hosts []string) { slices.SortFunc(hosts, Compare) }

// Compare orders two host names as Sort does.
func Compare(a, b string) int { return compare(split(a), split(b)) }
