package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The rules below restate, element by element, the JUnit schemas CI systems
// read: Jenkins' junit-10.xsd (jenkinsci/xunit-plugin, which Jenkins, GitLab
// and most readers accept) and the stricter Ant JUnit.xsd
// (windyroad/JUnit-Schema) for the attributes it adds as required. The test
// carries no copy of either file and needs no network.

type elemRule struct {
	required []string
	optional []string
	children []string // allowed child elements; nil means none
	text     bool     // character data allowed
}

var junitRules = map[string]elemRule{
	"testsuites": {
		optional: []string{"name", "time", "tests", "failures", "errors", "disabled"},
		children: []string{"testsuite"},
	},
	"testsuite": {
		// junit-10.xsd requires the first four; Ant's JUnit.xsd also
		// timestamp, hostname and time, and id and package inside testsuites.
		required: []string{"name", "tests", "failures", "errors", "timestamp", "hostname", "time", "id", "package"},
		optional: []string{"group", "skipped", "file", "log", "url", "disabled"},
		children: []string{"testsuite", "properties", "testcase", "system-out", "system-err"},
	},
	"properties": {children: []string{"property"}},
	"property":   {required: []string{"name", "value"}},
	"testcase": {
		required: []string{"name", "classname", "time"}, // Ant requires all three
		optional: []string{"group", "assertions", "status"},
		children: []string{"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure", "flakyError", "system-out", "system-err"},
	},
	"failure":    {optional: []string{"type", "message"}, text: true},
	"error":      {optional: []string{"type", "message"}, text: true},
	"skipped":    {optional: []string{"type", "message"}, text: true},
	"system-out": {text: true},
	"system-err": {text: true},
}

// surefireTime is junit-10.xsd's SUREFIRE_TIME pattern for time attributes.
var surefireTime = regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)

// antTimestamp is Ant's ISO8601_DATETIME_PATTERN: no zone.
var antTimestamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`)

type xmlNode struct {
	name     string
	attrs    map[string]string
	children []*xmlNode
	text     string
}

func parseXML(t *testing.T, data []byte) *xmlNode {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					t.Fatal("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	if root == nil {
		t.Fatal("no root element")
	}
	return root
}

func validateJUnit(n *xmlNode, path string) []string {
	var errs []string
	rule, ok := junitRules[n.name]
	if !ok {
		return []string{path + ": unknown element <" + n.name + ">"}
	}
	for _, a := range rule.required {
		if _, ok := n.attrs[a]; !ok {
			errs = append(errs, fmt.Sprintf("%s: <%s> lacks required attribute %q", path, n.name, a))
		}
	}
	for a, v := range n.attrs {
		if !contains(rule.required, a) && !contains(rule.optional, a) {
			errs = append(errs, fmt.Sprintf("%s: <%s> has attribute %q the schema does not allow", path, n.name, a))
		}
		if a == "time" && !surefireTime.MatchString(v) {
			errs = append(errs, fmt.Sprintf("%s: time %q is not a SUREFIRE_TIME", path, v))
		}
		if a == "timestamp" && !antTimestamp.MatchString(v) {
			errs = append(errs, fmt.Sprintf("%s: timestamp %q is not Ant's ISO 8601 form", path, v))
		}
		if contains([]string{"tests", "failures", "errors", "skipped"}, a) {
			if _, err := strconv.Atoi(v); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %s=%q is not a number", path, a, v))
			}
		}
	}
	if !rule.text && strings.TrimSpace(n.text) != "" {
		errs = append(errs, fmt.Sprintf("%s: <%s> must not hold text", path, n.name))
	}
	for i, c := range n.children {
		if !contains(rule.children, c.name) {
			errs = append(errs, fmt.Sprintf("%s: <%s> is not allowed inside <%s>", path, c.name, n.name))
			continue
		}
		errs = append(errs, validateJUnit(c, fmt.Sprintf("%s/%s[%d]", path, c.name, i))...)
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestJUnitSchema(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			d := loadFixture(t, fx)
			var buf bytes.Buffer
			if err := JUnit(&buf, d); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
				t.Error("no XML declaration with UTF-8")
			}
			root := parseXML(t, buf.Bytes())
			if root.name != "testsuites" {
				t.Fatalf("root is <%s>, want <testsuites>", root.name)
			}
			for _, e := range validateJUnit(root, "/testsuites") {
				t.Error(e)
			}

			// Counts: every level agrees with the probes and the summary.
			d.Summarize()
			atoi := func(n *xmlNode, a string) int {
				v, err := strconv.Atoi(n.attrs[a])
				if err != nil {
					t.Fatalf("<%s %s=%q>: %v", n.name, a, n.attrs[a], err)
				}
				return v
			}
			// A fault lab adds a suite: a case per fault and per diagnosis.
			total, failures, suites := d.Summary.Total+len(faultCases(d.Faults)), d.Summary.Failed+faultsFailed(d.Faults), len(d.Networks)
			if d.Faults != nil {
				suites++
			}
			if got := atoi(root, "tests"); got != total {
				t.Errorf("testsuites tests=%d, summary total %d", got, total)
			}
			if got := atoi(root, "failures"); got != failures {
				t.Errorf("testsuites failures=%d, summary failed %d", got, failures)
			}
			var cases, failed int
			for _, s := range root.children {
				var sc, sf int
				names := map[string]bool{}
				for _, c := range s.children {
					if c.name != "testcase" {
						continue
					}
					sc++
					key := c.attrs["classname"] + "/" + c.attrs["name"]
					if names[key] {
						t.Errorf("suite %s: duplicate test case %s", s.attrs["name"], key)
					}
					names[key] = true
					for _, f := range c.children {
						if f.name == "failure" {
							sf++
							if f.attrs["message"] == "" {
								t.Errorf("failure of %s has no cause in message", key)
							}
						}
					}
				}
				if got := atoi(s, "tests"); got != sc {
					t.Errorf("suite %s tests=%d, holds %d test cases", s.attrs["name"], got, sc)
				}
				if got := atoi(s, "failures"); got != sf {
					t.Errorf("suite %s failures=%d, holds %d failures", s.attrs["name"], got, sf)
				}
				cases += sc
				failed += sf
			}
			if cases != total || failed != failures {
				t.Errorf("test cases %d/%d failed, summary %d/%d", failed, cases, failures, total)
			}
			if len(root.children) != suites {
				t.Errorf("%d suites for %d networks and the faults", len(root.children), len(d.Networks))
			}
		})
	}
}

// The validator must reject what the schema rejects, or it proves nothing.
func TestJUnitValidatorRejects(t *testing.T) {
	bad := map[string]string{
		"missing tests":     `<testsuites><testsuite name="a" failures="0" errors="0" timestamp="2026-01-01T00:00:00" hostname="h" time="1" id="0" package="p"><properties/></testsuite></testsuites>`,
		"unknown attribute": `<testsuites><testsuite name="a" tests="0" failures="0" errors="0" timestamp="2026-01-01T00:00:00" hostname="h" time="1" id="0" package="p" colour="red"/></testsuites>`,
		"bad time":          `<testsuites time="1s"/>`,
		"zoned timestamp":   `<testsuites><testsuite name="a" tests="0" failures="0" errors="0" timestamp="2026-01-01T00:00:00Z" hostname="h" time="1" id="0" package="p"/></testsuites>`,
		"failure at top":    `<testsuites><failure/></testsuites>`,
		"nameless case":     `<testsuites><testsuite name="a" tests="1" failures="0" errors="0" timestamp="2026-01-01T00:00:00" hostname="h" time="1" id="0" package="p"><testcase classname="c" time="0"/></testsuite></testsuites>`,
	}
	for name, x := range bad {
		if errs := validateJUnit(parseXML(t, []byte(x)), "/testsuites"); len(errs) == 0 {
			t.Errorf("%s: validator accepted %s", name, x)
		}
	}
}
