package startos

import (
	_ "embed" // the Config page's spec and rules
	"fmt"
)

// The Config page of the 0.3.5 package, built into the binary so that a
// migration can hold a config to it. The package itself ships the files
// in startos/assets/compat; a test keeps these copies identical.
var (
	//go:embed compat/config_spec.yaml
	configSpecYAML []byte
	//go:embed compat/config_rules.yaml
	configRulesYAML []byte
)

// ConfigPage returns the Config page's spec and rules as the package
// ships them.
func ConfigPage() (Spec, []ConfigRule, error) {
	spec, err := ParseSpec(configSpecYAML)
	if err != nil {
		return nil, nil, fmt.Errorf("config page: %w", err)
	}
	rules, err := ParseRules(configRulesYAML)
	if err != nil {
		return nil, nil, fmt.Errorf("config page: %w", err)
	}
	return spec, rules, nil
}
