package provider

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UnmarshalYAML reads settings written as a YAML mapping ({thinking: 8000,
// max_tokens: 16000}) in a mode file or the config. It goes through Set, key by
// key, rather than decoding into the struct: thinking takes "off" as well as a
// number, and a misspelt key must fail with the known keys and its line instead
// of being ignored (a nested Decode does not inherit the file's KnownFields).
func (s *Settings) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: settings are a mapping of KEY: VALUE (keys: %s), e.g. {thinking: 8000}", n.Line, strings.Join(SettingKeys, ", "))
	}
	var out Settings
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: setting %q takes a single value", v.Line, k.Value)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: setting %q is given twice", k.Line, k.Value)
		}
		seen[k.Value] = true
		if err := out.Set(k.Value, v.Value); err != nil {
			return fmt.Errorf("line %d: %w", k.Line, err)
		}
	}
	*s = out
	return nil
}

// MarshalYAML writes the text form of each set key, so that what `parley config
// show` prints reads back the same (thinking: off, not thinking: 0).
func (s Settings) MarshalYAML() (any, error) { return s.Map(), nil }
