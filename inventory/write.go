package inventory

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// MarshalYAML renders inv in the documented YAML format, after a comment
// header (each line of header becomes a "# " line), so that generated
// inventories can say where they came from and what their addresses mean.
func MarshalYAML(inv *Inventory, header string) ([]byte, error) {
	var b bytes.Buffer
	if header != "" {
		for _, line := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
			if line == "" {
				b.WriteString("#\n")
			} else {
				b.WriteString("# " + line + "\n")
			}
		}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(inv); err != nil {
		return nil, fmt.Errorf("encoding inventory: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding inventory: %w", err)
	}
	return b.Bytes(), nil
}

// WriteYAML writes MarshalYAML's output to w.
func WriteYAML(w io.Writer, inv *Inventory, header string) error {
	data, err := MarshalYAML(inv, header)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}
