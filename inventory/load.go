package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/parselimit"
)

// EnvPrefix prefixes the environment variables that override the defaults
// section, e.g. OVERLAB_USER for defaults.user.
const EnvPrefix = "OVERLAB_"

// Load reads the inventory at path: YAML, or JSON/TOML by extension. Unknown
// keys are errors naming their path and line (hosts[1].adress, line 7).
// Environment variables OVERLAB_USER, OVERLAB_PORT, OVERLAB_IDENTITY_FILE,
// OVERLAB_KNOWN_HOSTS and OVERLAB_DOCKER_SOCKET override the defaults
// section. Load does not validate: call Validate.
func Load(path string) (*Inventory, error) {
	data, err := parselimit.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading inventory: %w", err)
	}
	inv, err := decode(data, formatOf(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := applyEnv(&inv.Defaults, envFromViper()); err != nil {
		return nil, err
	}
	inv.Source = path
	return inv, nil
}

// EnvDefaults are the defaults that the OVERLAB_ variables set, for a
// command that works without an inventory file.
func EnvDefaults() (Defaults, error) {
	var d Defaults
	err := applyEnv(&d, envFromViper())
	return d, err
}

// formatOf picks the decoder by extension; anything else is read as YAML,
// which also covers JSON documents.
func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".toml":
		return "toml"
	default:
		return "yaml"
	}
}

// decode parses data into a document tree, checks every key and scalar
// against the Inventory type (strict: unknown keys, upper-case keys and
// wrong types are errors with their path), then decodes the tree.
func decode(data []byte, format string) (*Inventory, error) {
	root, err := parse(data, format)
	if err != nil {
		return nil, err
	}
	var inv Inventory
	if root == nil {
		return &inv, nil
	}
	if err := check(root, reflect.TypeOf(inv), ""); err != nil {
		return nil, err
	}
	if err := root.Decode(&inv); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	return &inv, nil
}

// parse returns the document's tree (nil for an empty document), bounded
// by parselimit before anything walks it. YAML keeps its line numbers; TOML
// is converted and has none (its syntax errors have the parser's own).
func parse(data []byte, format string) (*yaml.Node, error) {
	if len(data) > parselimit.MaxBytes {
		return nil, parselimit.ErrTooLarge
	}
	if format == "toml" {
		return parseTOML(data)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("parsing %s: %s", format, syntaxError(data, err))
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	if err := parselimit.CheckNode(doc.Content[0]); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}

// parseTOML decodes TOML and builds the tree directly: yaml.Node.Encode
// would print YAML text whose indentation grows with the square of the
// nesting, then parse it.
func parseTOML(data []byte) (*yaml.Node, error) {
	if err := parselimit.CheckBrackets(data); err != nil {
		return nil, fmt.Errorf("parsing toml: %w", err)
	}
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("parsing toml: line %d, column %d: %s", row, col, de.Error())
		}
		return nil, fmt.Errorf("parsing toml: %w", err)
	}
	return tomlNode(raw, 0)
}

// tomlNode converts a decoded TOML value to a YAML node, as the decoder of
// the Inventory type expects it.
func tomlNode(v any, depth int) (*yaml.Node, error) {
	if depth > parselimit.MaxDepth {
		return nil, fmt.Errorf("parsing toml: nested deeper than %d levels", parselimit.MaxDepth)
	}
	scalar := func(tag, value string) (*yaml.Node, error) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}, nil
	}
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c, err := tomlNode(x[k], depth+1)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, c)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range x {
			c, err := tomlNode(e, depth+1)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case string:
		return scalar("!!str", x)
	case bool:
		return scalar("!!bool", strconv.FormatBool(x))
	case int64:
		return scalar("!!int", strconv.FormatInt(x, 10))
	case float64:
		return scalar("!!float", strconv.FormatFloat(x, 'g', -1, 64))
	case nil:
		return scalar("!!null", "")
	default: // dates and times: text, which no inventory field takes
		return scalar("!!str", fmt.Sprint(x))
	}
}

// yamlLine is yaml.v3's "line N: message".
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// locateBudget bounds the bytes syntaxError re-parses to find the line at
// fault: beyond it the parser's own line is given.
const locateBudget = 2 << 20

// syntaxError names the line where the document stops parsing. yaml.v3
// names the line where the enclosing block starts (a list's first item,
// often lines above the mistake); the line at fault is the end of the
// shortest prefix that fails with the same message. Prefixes shorter than
// it parse (or fail otherwise) and longer ones fail the same way, so a
// binary search over the lines after the parser's finds it in a few
// parses; a file too large for the budget gets the parser's line.
func syntaxError(data []byte, err error) string {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	parserLine, _ := strconv.Atoi(m[1])
	fallback := fmt.Sprintf("line %d: %s (in the block that starts there)", parserLine, m[2])
	lines := bytes.SplitAfter(data, []byte("\n"))
	spent := 0
	fails := func(n int) bool {
		prefix := bytes.Join(lines[:n], nil)
		spent += len(prefix)
		var doc yaml.Node
		perr := yaml.Unmarshal(prefix, &doc)
		pm := yamlLine.FindStringSubmatch(fmt.Sprint(perr))
		return pm != nil && pm[2] == m[2]
	}
	lo, hi := max(parserLine, 1), len(lines) // fails(hi) holds
	for lo < hi {
		if spent > locateBudget {
			return fallback
		}
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return fmt.Sprintf("line %d: %s", hi, m[2])
}

// check walks n against type t. path is where n sits (hosts[1].labels).
func check(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkStruct(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return at(n, "%s: want a list", path)
		}
		for i, item := range n.Content {
			if err := check(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return at(n, "%s: want a mapping", path)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := lowerCase(n.Content[i], path); err != nil {
				return err
			}
			if err := check(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode {
			return at(n, "%s: want a number", path)
		}
		if _, err := strconv.Atoi(n.Value); err != nil {
			return at(n, "%s: %q is not a number", path, n.Value)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return at(n, "%s: want a string", path)
		}
	}
	return nil
}

// checkStruct checks a mapping against struct type t: every key must be one
// of t's yaml keys, in lower case, with a value of the field's type.
func checkStruct(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.MappingNode {
		return at(n, "%s: want a mapping of %s", orTop(path), strings.Join(knownKeys(t), ", "))
	}
	fields := fieldsByKey(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := lowerCase(k, path); err != nil {
			return err
		}
		f, ok := fields[k.Value]
		if !ok {
			return at(k, "unknown key %s (allowed there: %s)", join(path, k.Value), strings.Join(knownKeys(t), ", "))
		}
		if err := check(v, f.Type, join(path, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

// lowerCase refuses upper-case keys: a YAML key "Name" would otherwise be
// a near miss that some tools accept and others do not.
func lowerCase(k *yaml.Node, path string) error {
	if k.Value != strings.ToLower(k.Value) {
		return at(k, "key %s: keys are lower case (write %q)", join(path, k.Value), strings.ToLower(k.Value))
	}
	return nil
}

// at is an error at n's line, when the document has lines.
func at(n *yaml.Node, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if n.Line > 0 {
		return fmt.Errorf("line %d: %s", n.Line, msg)
	}
	return errors.New(msg)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "the inventory"
	}
	return path
}

// fieldsByKey maps each decoded key of struct t to its field.
func fieldsByKey(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if key := yamlKey(f); key != "" {
			out[key] = f
		}
	}
	return out
}

func knownKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if key := yamlKey(t.Field(i)); key != "" {
			keys = append(keys, key)
		}
	}
	return keys
}

func yamlKey(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if key == "-" || !f.IsExported() {
		return ""
	}
	return key
}

// envKeys are the defaults keys that an OVERLAB_ variable may override.
var envKeys = []string{"user", "port", "identity_file", "known_hosts", "docker_socket"}

// envFromViper looks the OVERLAB_ variables up through viper, which owns the
// naming rule (prefix, upper case).
func envFromViper() func(key string) (string, bool) {
	v := viper.New()
	v.SetEnvPrefix(strings.TrimSuffix(EnvPrefix, "_"))
	for _, k := range envKeys {
		_ = v.BindEnv(k)
	}
	return func(key string) (string, bool) {
		if !v.IsSet(key) {
			return "", false
		}
		return v.GetString(key), true
	}
}

// applyEnv overrides d with the variables that are set; a bad value is
// blamed on its variable, not on the file.
func applyEnv(d *Defaults, lookup func(key string) (string, bool)) error {
	set := map[string]*string{"user": &d.User, "identity_file": &d.IdentityFile, "known_hosts": &d.KnownHosts, "docker_socket": &d.DockerSocket}
	for _, k := range envKeys {
		val, ok := lookup(k)
		if !ok {
			continue
		}
		if k == "port" {
			p, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				return fmt.Errorf("environment variable %s%s=%q: not a port number", EnvPrefix, strings.ToUpper(k), val)
			}
			d.Port = p
			continue
		}
		*set[k] = val
	}
	return nil
}
