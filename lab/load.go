package lab

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/parselimit"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Decode strictly decodes a lab file (unknown keys are errors) and applies
// defaults; it does not validate. source names the file in errors. The
// document is bounded first (parselimit: size, depth, nodes through
// aliases), because the custom unmarshalers below decode with fresh
// decoders that yaml.v3's own alias guard does not follow.
func Decode(data []byte, source string) (*Lab, error) {
	if len(data) > parselimit.MaxBytes {
		return nil, &Error{Source: source, Problems: []Problem{{Message: parselimit.ErrTooLarge.Error()}}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, decodeError(source, err)
	}
	if err := parselimit.CheckNode(&root); err != nil {
		var le *parselimit.Error
		errors.As(err, &le)
		return nil, &Error{Source: source, Problems: []Problem{{Line: le.Line, Message: le.Msg}}}
	}
	l := &Lab{Source: source}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(l); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Source: source, Problems: []Problem{{Message: "empty lab file"}}}
		}
		return nil, decodeError(source, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Source: source, Problems: []Problem{{Line: extra.Line, Message: "more than one YAML document: a lab file holds one lab"}}}
	}
	l.pos = map[string]int{}
	positions(&root, "", l.pos)
	l.setDefaults()
	return l, nil
}

// Parse decodes and validates a lab file.
func Parse(data []byte, source string) (*Lab, error) {
	l, err := Decode(data, source)
	if err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// Load reads, decodes and validates the lab file at path.
func Load(path string) (*Lab, error) {
	data, err := parselimit.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lab file: %w", err)
	}
	return Parse(data, path)
}

// Get returns the built-in lab called name.
func Get(name string) (*Lab, error) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in lab %q (built-in labs: %s)", name, strings.Join(Names(), ", "))
	}
	return Parse(data, "builtin:"+name)
}

// Names lists the built-in labs in their teaching order.
func Names() []string {
	entries, _ := builtinFS.ReadDir("builtin")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	rank := map[string]int{}
	for i, n := range teachingOrder {
		rank[n] = i + 1
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, rj := rank[names[i]], rank[names[j]]
		if ri == 0 {
			ri = len(teachingOrder) + 1
		}
		if rj == 0 {
			rj = len(teachingOrder) + 1
		}
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

// teachingOrder follows the walkthrough: one host first, then several.
// then the labs that need a real kernel (IPVS, ESP, 802.1q), then the
// fault labs.
var teachingOrder = []string{"host", "bridge", "user-bridge", "publish", "direct-routing", "none", "overlay", "macvlan", "swarm", "ipv6", "vip", "ingress", "encrypted", "macvlan-vlan", "ipvlan",
	"vxlan-blocked", "gossip-blocked", "mtu-mismatch", "host-cut"}

// DefaultLab is the lab of a plain `overlab up`.
const DefaultLab = "swarm"

// List returns every built-in lab. A built-in lab that fails to load is a
// bug caught by the tests, so it panics.
func List() []*Lab {
	var out []*Lab
	for _, n := range Names() {
		l, err := Get(n)
		if err != nil {
			panic(fmt.Sprintf("built-in lab %s: %v", n, err))
		}
		out = append(out, l)
	}
	return out
}

// Resolve returns the built-in lab of that name, else loads it as a file.
// Anything that looks like a path (a separator or a .yaml/.yml suffix) is a
// file.
func Resolve(nameOrFile string) (*Lab, error) {
	ext := path.Ext(nameOrFile)
	if !strings.ContainsRune(nameOrFile, os.PathSeparator) && !strings.Contains(nameOrFile, "/") && ext != ".yaml" && ext != ".yml" {
		return Get(nameOrFile)
	}
	return Load(nameOrFile)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decodeError turns yaml.v3's errors into Problems with lines and readable
// type names.
func decodeError(source string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	e := &Error{Source: source}
	for _, m := range msgs {
		p := Problem{Message: m}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Message = sm[2]
		}
		p.Message = strings.TrimPrefix(p.Message, "yaml: ")
		p.Message = friendlyYAML(p.Message)
		e.Problems = append(e.Problems, p)
	}
	return e
}

var (
	notFound   = regexp.MustCompile(`^field (\S+) not found in type (?:lab|netdriver)\.(\w+)$`)
	typeNames  = strings.NewReplacer("lab.Lab", "lab", "lab.Network", "network", "netdriver.Network", "network", "netdriver.HostOptions", "host options", "map[string]netdriver.", "map of ", "lab.Workload", "workload", "lab.Expectation", "expectation", "lab.Endpoint", "from", "lab.Target", "to", "lab.Port", "port", "lab.Attachment", "network attachment", "lab.Placement", "placement", "lab.HostOptions", "host options", "lab.Route", "route", "lab.Note", "note", "[]lab.", "list of ", "map[string]lab.", "map of ")
	structName = map[string]string{"Lab": "the lab", "Network": "a network", "Workload": "a workload", "Expectation": "an expectation", "Endpoint": "from", "Target": "to", "Port": "a port", "Attachment": "a network attachment", "Placement": "placement", "HostOptions": "host options", "Route": "a route", "Note": "a note"}
)

func friendlyYAML(m string) string {
	if sm := notFound.FindStringSubmatch(m); sm != nil {
		where := structName[sm[2]]
		if where == "" {
			where = sm[2]
		}
		return fmt.Sprintf("unknown field %q in %s", sm[1], where)
	}
	return typeNames.Replace(m)
}

// positions records the line of every mapping key and sequence item.
func positions(n *yaml.Node, p string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			positions(c, p, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kp := k.Value
			if p != "" {
				kp = p + "." + k.Value
			}
			if _, dup := out[kp]; !dup {
				out[kp] = k.Line
			}
			positions(v, kp, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			ip := fmt.Sprintf("%s[%d]", p, i)
			out[ip] = c.Line
			positions(c, ip, out)
		}
	}
}

// UnmarshalYAML accepts a plain network name or the full mapping; it checks
// keys itself because a custom unmarshaler loses the decoder's strictness.
func (a *Attachment) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		a.Network = n.Value
		return nil
	}
	if err := strictKeys(n, "network attachment", "network", "ip", "aliases"); err != nil {
		return err
	}
	type plain Attachment
	return n.Decode((*plain)(a))
}

// UnmarshalYAML accepts "5000:80", "5000:80/udp" or the full mapping.
func (p *Port) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		s := n.Value
		if i := strings.IndexByte(s, '/'); i >= 0 {
			p.Protocol = s[i+1:]
			s = s[:i]
		}
		pub, tgt, ok := strings.Cut(s, ":")
		var e1, e2 error
		p.Published, e1 = strconv.Atoi(pub)
		p.Target, e2 = strconv.Atoi(tgt)
		if !ok || e1 != nil || e2 != nil {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: port %q: want PUBLISHED:TARGET[/PROTOCOL] like 5000:80 or a mapping", n.Line, n.Value)}}
		}
		return nil
	}
	if err := strictKeys(n, "a port", "published", "target", "protocol", "mode", "bind"); err != nil {
		return err
	}
	type plain Port
	return n.Decode((*plain)(p))
}

func strictKeys(n *yaml.Node, where string, known ...string) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s must be a string or a mapping", n.Line, where)}}
	}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		found := false
		for _, kn := range known {
			if k.Value == kn {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("line %d: unknown field %q in %s", k.Line, k.Value, where))
		}
	}
	if errs != nil {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// setDefaults fills what a lab file may leave out, so that every consumer
// sees the same effective lab.
func (l *Lab) setDefaults() {
	for i := range l.Workloads {
		w := &l.Workloads[i]
		if w.Kind == "" {
			w.Kind = KindContainer
		}
		if w.Kind == KindService && w.Mode == "" {
			if w.Replicas > 0 {
				w.Mode = ModeReplicate
			} else {
				w.Mode = ModeGlobal
			}
		}
		for j := range w.Ports {
			p := &w.Ports[j]
			if p.Protocol == "" {
				p.Protocol = "tcp"
			}
			if p.Mode == "" {
				p.Mode = PortModeHost
			}
			if p.Bind == "" {
				p.Bind = BindLab
			}
		}
	}
	for i := range l.Networks {
		n := &l.Networks[i]
		d, known := netdriver.Get(n.Driver)
		if known && d.Traits().OnlyBuiltin {
			n.Default = true
		}
		if n.Scope == "" && known {
			n.Scope = d.DefaultScope(l.usedByService(n.Name))
		} else if n.Scope == "" {
			n.Scope = ScopeLocal
		}
	}
	for i := range l.Expect {
		e := &l.Expect[i]
		if e.Kind != "" {
			e.Kinds = append([]string{e.Kind}, e.Kinds...)
			e.Kind = ""
		}
		if e.Family != "" {
			e.Families = append([]string{e.Family}, e.Families...)
			e.Family = ""
		}
	}
}

// usedByService reports whether a service attaches to the network called name.
func (l *Lab) usedByService(name string) bool {
	for i := range l.Workloads {
		if w := &l.Workloads[i]; w.Kind == KindService && w.Attached(name) {
			return true
		}
	}
	return false
}

// AdoptExpect replaces l's expectations with those of another lab file,
// which keeps their source and line numbers for every problem found in them.
func (l *Lab) AdoptExpect(from *Lab) {
	l.Expect, l.Source, l.pos = from.Expect, from.Source, from.pos
}
