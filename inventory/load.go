package inventory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

// EnvPrefix prefixes the environment variables that override the defaults
// section, e.g. OVERLAB_USER for defaults.user.
const EnvPrefix = "OVERLAB_"

// Load reads the inventory at path: YAML, or JSON/TOML by extension. Unknown
// keys are errors naming their path (hosts[1].adress). Environment variables
// OVERLAB_USER, OVERLAB_PORT, OVERLAB_IDENTITY_FILE, OVERLAB_KNOWN_HOSTS and
// OVERLAB_DOCKER_SOCKET override the defaults section. Load does not
// validate: call Validate.
func Load(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading inventory: %w", err)
	}
	inv, err := decode(data, formatOf(path), os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	inv.Source = path
	return inv, nil
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

// decode is Load without the file system, so that tests and the fuzz target
// can drive it. lookupEnv is os.LookupEnv outside tests.
func decode(data []byte, format string, lookupEnv func(string) (string, bool)) (*Inventory, error) {
	// Viper folds keys to lower case, which would silently accept "Name:" and
	// rewrite label keys; reject upper-case keys on the raw document first.
	raw, err := rawDocument(data, format)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", format, err)
	}
	if err := checkKeyCase(raw, ""); err != nil {
		return nil, err
	}

	// A delimiter that cannot occur in keys: label keys such as
	// com.example.zone must stay one key.
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	v.SetConfigType(format)
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", format, err)
	}
	for _, key := range envKeys {
		if val, ok := lookupEnv(EnvPrefix + strings.ToUpper(key)); ok {
			v.Set("defaults::"+key, val)
		}
	}

	var inv Inventory
	var md mapstructure.Metadata
	err = v.Unmarshal(&inv, func(c *mapstructure.DecoderConfig) {
		c.Metadata = &md
		c.ErrorUnused = false // reported below, with paths and the known keys
		c.WeaklyTypedInput = false
		c.DecodeHook = stringToInt // OVERLAB_PORT is a string
	})
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if len(md.Unused) > 0 {
		return nil, unknownKeysError(md.Unused)
	}
	return &inv, nil
}

// stringToInt lets a quoted number or an environment variable fill an int,
// with an error that quotes what it got.
func stringToInt(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Int {
		return data, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(data.(string)))
	if err != nil {
		return nil, fmt.Errorf("%q is not a number", data)
	}
	return n, nil
}

// envKeys are the defaults keys that an OVERLAB_ variable may override.
var envKeys = []string{"user", "port", "identity_file", "known_hosts", "docker_socket"}

func rawDocument(data []byte, format string) (any, error) {
	var raw any
	var err error
	switch format {
	case "toml":
		err = toml.Unmarshal(data, &raw)
	default: // YAML is a superset of JSON
		err = yaml.Unmarshal(data, &raw)
	}
	return raw, err
}

func checkKeyCase(node any, path string) error {
	switch n := node.(type) {
	case map[string]any:
		for _, k := range sortedKeys(n) {
			p := joinPath(path, k)
			if k != strings.ToLower(k) {
				return fmt.Errorf("key %s: keys are lower case (write %q)", p, strings.ToLower(k))
			}
			if err := checkKeyCase(n[k], p); err != nil {
				return err
			}
		}
	case map[any]any:
		for k, v := range n {
			ks := fmt.Sprint(k)
			if ks != strings.ToLower(ks) {
				return fmt.Errorf("key %s: keys are lower case (write %q)", joinPath(path, ks), strings.ToLower(ks))
			}
			if err := checkKeyCase(v, joinPath(path, ks)); err != nil {
				return err
			}
		}
	case []any:
		for i, v := range n {
			if err := checkKeyCase(v, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unknownKeysError names every unknown key and what is allowed where it sits.
func unknownKeysError(unused []string) error {
	sort.Strings(unused)
	msgs := make([]string, 0, len(unused))
	for _, key := range unused {
		var known []string
		switch {
		case strings.HasPrefix(key, "hosts["):
			known = knownKeys(reflect.TypeOf(Host{}))
		case strings.HasPrefix(key, "defaults."):
			known = knownKeys(reflect.TypeOf(Defaults{}))
		default:
			known = knownKeys(reflect.TypeOf(Inventory{}))
		}
		msgs = append(msgs, fmt.Sprintf("unknown key %s (allowed there: %s)", key, strings.Join(known, ", ")))
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

func knownKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("mapstructure")
		if tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	return keys
}
