package importer

import (
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/parselimit"
)

// AnsibleYAML maps an Ansible YAML inventory: groups (usually all) with
// hosts, vars and children, nested to any depth; host names may be ranges.
// Hosts keep the file's order.
func AnsibleYAML(r io.Reader, opts AnsibleOptions) (*inventory.Inventory, error) {
	a, err := parseAnsibleYAML(r)
	if err != nil {
		return nil, err
	}
	return a.toInventory(opts)
}

// maxGroupDepth bounds nesting, and recursion through YAML aliases.
const maxGroupDepth = 32

// maxGroupVisits bounds the group entries read, counting repeats through aliases.
const maxGroupVisits = 10000

func parseAnsibleYAML(r io.Reader) (*ansibleInventory, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(parselimit.NewReader(r)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the inventory is empty")
		}
		return nil, fmt.Errorf("parsing YAML inventory: %w", err)
	}
	// Host variables may be aliases too: bound what the walk below can cost.
	if err := parselimit.CheckNode(&doc); err != nil {
		return nil, fmt.Errorf("parsing YAML inventory: %w", err)
	}
	a := newAnsibleInventory()
	a.group("all")
	root := deref(&doc, 0)
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = deref(root.Content[0], 0)
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("an Ansible YAML inventory is a mapping of groups (usually all:), got %s", kindOf(root))
	}
	err := eachPair(root, func(name string, val *yaml.Node) error {
		return a.yamlGroup(name, val, name, 0)
	})
	if err != nil {
		return nil, err
	}
	if len(a.hostOrder) == 0 {
		return nil, fmt.Errorf("the inventory has no hosts")
	}
	return a, nil
}

// yamlGroup reads group name (at path, depth groups deep) and, through its
// children, the groups below it.
func (a *ansibleInventory) yamlGroup(name string, node *yaml.Node, path string, depth int) error {
	if depth > maxGroupDepth {
		return fmt.Errorf("%s: groups nested deeper than %d", path, maxGroupDepth)
	}
	// Aliases can make a small file name a huge tree; bound the work.
	if a.visits++; a.visits > maxGroupVisits {
		return fmt.Errorf("%s: more than %d group entries (YAML aliases?)", path, maxGroupVisits)
	}
	if !validGroupName(name) {
		return fmt.Errorf("%s: group name %q: use letters, digits and underscores", path, name)
	}
	g := a.group(name)
	node = deref(node, 0)
	if isNull(node) {
		return nil
	}
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: a group is a mapping with hosts, vars and children, got %s", path, kindOf(node))
	}
	return eachPair(node, func(key string, val *yaml.Node) error {
		val = deref(val, 0)
		switch key {
		case "vars":
			vars, err := scalarMap(val, path+".vars")
			if err != nil {
				return err
			}
			for k, v := range vars {
				g.vars[k] = v
			}
		case "hosts":
			return a.yamlHosts(name, val, path)
		case "children":
			if isNull(val) {
				return nil
			}
			if val.Kind != yaml.MappingNode {
				return fmt.Errorf("%s.children: want a mapping of group names, got %s", path, kindOf(val))
			}
			return eachPair(val, func(child string, cv *yaml.Node) error {
				g.children = append(g.children, child)
				return a.yamlGroup(child, cv, path+".children."+child, depth+1)
			})
		default:
			return fmt.Errorf("%s: unknown key %q in a group (allowed: hosts, vars, children)", path, key)
		}
		return nil
	})
}

// yamlHosts reads a group's hosts: a mapping of names or patterns
// (node[1:3], with an optional :port) to their variables.
func (a *ansibleInventory) yamlHosts(group string, val *yaml.Node, path string) error {
	if isNull(val) {
		return nil
	}
	if val.Kind != yaml.MappingNode {
		return fmt.Errorf("%s.hosts: want a mapping of host names to variables, got %s", path, kindOf(val))
	}
	return eachPair(val, func(pattern string, hv *yaml.Node) error {
		vars, err := scalarMap(deref(hv, 0), path+".hosts."+pattern)
		if err != nil {
			return err
		}
		names, port, err := expandHostPattern(pattern)
		if err != nil {
			return fmt.Errorf("%s.hosts: %v", path, err)
		}
		if port != "" && vars["ansible_port"] == "" {
			vars["ansible_port"] = port
		}
		for _, h := range names {
			a.addHost(group, h, vars)
		}
		return nil
	})
}

// scalarMap reads variables. Connection variables are scalars; lists and
// mappings are playbook data and are skipped.
func scalarMap(node *yaml.Node, path string) (map[string]string, error) {
	out := map[string]string{}
	if isNull(node) {
		return out, nil
	}
	if node.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: want a mapping of variables, got %s", path, kindOf(node))
	}
	err := eachPair(node, func(k string, v *yaml.Node) error {
		if v = deref(v, 0); v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
			out[k] = v.Value
		}
		return nil
	})
	return out, err
}

func eachPair(m *yaml.Node, f func(key string, val *yaml.Node) error) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i], 0)
		if k == nil || k.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: keys must be plain names", m.Content[i].Line)
		}
		if err := f(k.Value, m.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// deref follows YAML aliases, refusing loops.
func deref(n *yaml.Node, depth int) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if depth++; depth > maxGroupDepth {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindOf(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("%q (line %d)", n.Value, n.Line)
	default:
		return "something else"
	}
}
