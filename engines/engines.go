package engines

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an engine version's numeric parts: 28.5.2+dfsg4 is [28 5 2].
type Version []int

// ParseVersion reads the leading numbers of an engine version: an optional
// "v", then numbers separated by dots; what follows (+dfsg1, -ce, -rc.1)
// is the packager's and does not count.
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	end := 0
	for end < len(t) && (t[end] >= '0' && t[end] <= '9' || t[end] == '.') {
		end++
	}
	num := strings.TrimSuffix(t[:end], ".")
	if num == "" {
		return nil, fmt.Errorf("%q is not an engine version (like 28.0 or 20.10.24)", s)
	}
	var v Version
	for _, p := range strings.Split(num, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not an engine version (like 28.0 or 20.10.24)", s)
		}
		v = append(v, n)
	}
	return v, nil
}

// String writes the version as dotted numbers.
func (v Version) String() string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// compare compares v with w on w's parts only (missing parts of v are 0):
// against 28.0, the engine 28.0.4 is equal and 28.5.2 greater.
func (v Version) compare(w Version) int {
	for i, n := range w {
		var m int
		if i < len(v) {
			m = v[i]
		}
		switch {
		case m < n:
			return -1
		case m > n:
			return 1
		}
	}
	return 0
}

// Range is a conjunction of comparisons, as a lab writes it.
type Range struct {
	text  string
	terms []term
}

type term struct {
	op string
	v  Version
}

var ops = []string{">=", "<=", "!=", ">", "<", "="}

// ParseRange reads comma-separated comparisons, each an operator (>=, >,
// <=, <, =, !=) and a version; all must hold. Versions compare on as many
// parts as the range gives: "= 28" is every 28.x, "< 28.0" every 27.x and
// older, ">= 26.1" 26.1.0 and every later one.
func ParseRange(s string) (Range, error) {
	r := Range{text: strings.TrimSpace(s)}
	if r.text == "" {
		return r, fmt.Errorf("empty engine range: write comparisons such as \">= 28.0\" or \">= 26.0, < 28.0\"")
	}
	for _, part := range strings.Split(r.text, ",") {
		part = strings.TrimSpace(part)
		var t term
		for _, op := range ops {
			if strings.HasPrefix(part, op) {
				t.op = op
				break
			}
		}
		if t.op == "" {
			return r, fmt.Errorf("%q: each comparison starts with >=, >, <=, <, = or != (like \">= 28.0\")", part)
		}
		v, err := ParseVersion(strings.TrimSpace(part[len(t.op):]))
		if err != nil {
			return r, fmt.Errorf("%q: %v", part, err)
		}
		if rest := strings.TrimSpace(part[len(t.op):]); rest != v.String() {
			return r, fmt.Errorf("%q: write the version as plain numbers, like %s", part, v)
		}
		t.v = v
		r.terms = append(r.terms, t)
	}
	return r, nil
}

// MustRange is ParseRange for ranges written in code.
func MustRange(s string) Range {
	r, err := ParseRange(s)
	if err != nil {
		panic(err)
	}
	return r
}

// String is the range as written.
func (r Range) String() string { return r.text }

// IsZero says whether r is the empty range (no condition).
func (r Range) IsZero() bool { return len(r.terms) == 0 }

// Allows says whether the engine version v lies in r; the empty range
// allows every version.
func (r Range) Allows(v Version) bool {
	for _, t := range r.terms {
		c := v.compare(t.v)
		ok := false
		switch t.op {
		case ">=":
			ok = c >= 0
		case ">":
			ok = c > 0
		case "<=":
			ok = c <= 0
		case "<":
			ok = c < 0
		case "=":
			ok = c == 0
		case "!=":
			ok = c != 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// AllowsString is Allows of a version as an engine reports it; an unknown
// or unreadable version is allowed (nothing is known against it), and
// known says whether it was read.
func (r Range) AllowsString(version string) (ok, known bool) {
	v, err := ParseVersion(version)
	if err != nil {
		return true, false
	}
	return r.Allows(v), true
}

// Generation is the major.minor of an engine version ("28.5" of
// "28.5.2+dfsg4"), or the version as given when it cannot be read.
func Generation(version string) string {
	v, err := ParseVersion(version)
	if err != nil || len(v) == 0 {
		return version
	}
	if len(v) > 2 {
		v = v[:2]
	}
	return v.String()
}
