package billingtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// spec is BTCPay's Greenfield API description, merged from its template
// files (as BTCPay merges them to serve swagger.json): paths, schemas
// and x-webhooks. It validates JSON values against the OpenAPI 3.0
// schema subset those files use.
type spec struct {
	version  string
	paths    map[string]map[string]any // template → method → operation
	schemas  map[string]any
	webhooks map[string]any
}

func loadSpec(dir, version string) (*spec, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("billingtest: no API description in %s", dir)
	}
	s := &spec{version: version, paths: map[string]map[string]any{}, schemas: map[string]any{}, webhooks: map[string]any{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Paths      map[string]map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
			Webhooks map[string]any `json:"x-webhooks"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("billingtest: %s: %w", f, err)
		}
		for k, v := range doc.Paths {
			s.paths[k] = v
		}
		for k, v := range doc.Components.Schemas {
			s.schemas[k] = v
		}
		for k, v := range doc.Webhooks {
			s.webhooks[k] = v
		}
	}
	return s, nil
}

// route finds the operation of a request: the path template that matches
// path and has method.
func (s *spec) route(method, path string) (string, map[string]any, bool) {
	keys := make([]string, 0, len(s.paths))
	for k := range s.paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, tmpl := range keys {
		if !matchTemplate(tmpl, path) {
			continue
		}
		if op, ok := s.paths[tmpl][strings.ToLower(method)].(map[string]any); ok {
			return tmpl, op, true
		}
	}
	return "", nil, false
}

func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(strings.Trim(tmpl, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if strings.HasPrefix(ts[i], "{") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// requestSchema is an operation's JSON request body schema (nil if none).
func requestSchema(op map[string]any) any {
	return dig(op, "requestBody", "content", "application/json", "schema")
}

// responseSchema is an operation's JSON schema for a status.
func responseSchema(op map[string]any, status string) any {
	return dig(op, "responses", status, "content", "application/json", "schema")
}

// permissions are the API key permissions an operation requires.
func permissions(op map[string]any) []string {
	sec, _ := op["security"].([]any)
	var out []string
	for _, s := range sec {
		m, _ := s.(map[string]any)
		list, _ := m["API_Key"].([]any)
		for _, p := range list {
			if ps, ok := p.(string); ok {
				out = append(out, ps)
			}
		}
	}
	return out
}

// webhookSchema is the body schema of a webhook event type.
func (s *spec) webhookSchema(eventType string) any {
	return dig(s.webhooks, eventType, "post", "requestBody", "content", "application/json", "schema")
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

var decimalPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// validate checks v against schema and returns what is wrong, one
// message per problem, each naming where.
func (s *spec) validate(schema, v any, at string) []string {
	node, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := s.schemas[name]
		if !ok {
			return []string{at + ": the API description has no schema " + name}
		}
		return s.validate(target, v, at)
	}
	node = s.flatten(node)
	if v == nil {
		if nullable, _ := node["nullable"].(bool); nullable || node["type"] == nil {
			return nil
		}
		return []string{at + ": null is not allowed"}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := node[key].([]any); ok && len(alts) > 0 {
			var first []string
			for _, alt := range alts {
				errs := s.validate(alt, v, at)
				if len(errs) == 0 {
					first = nil
					break
				}
				if first == nil {
					first = errs
				}
			}
			if first != nil {
				return first
			}
		}
	}
	return s.validateType(node, v, at)
}

func (s *spec) validateType(node map[string]any, v any, at string) []string {
	typ, _ := node["type"].(string)
	if typ == "" && node["properties"] != nil {
		typ = "object"
	}
	var errs []string
	switch typ {
	case "string":
		errs = validateString(node, v, at)
	case "number", "integer":
		errs = validateNumber(typ, v, at)
	case "boolean":
		if _, ok := v.(bool); !ok {
			errs = []string{fmt.Sprintf("%s: %v is not a boolean", at, v)}
		}
	case "array":
		errs = s.validateArray(node, v, at)
	case "object":
		errs = s.validateObject(node, v, at)
	}
	return append(errs, validateEnum(node, v, at)...)
}

func validateString(node map[string]any, v any, at string) []string {
	str, ok := v.(string)
	if !ok {
		return []string{fmt.Sprintf("%s: %v is not a string", at, v)}
	}
	if node["format"] == "decimal" && !decimalPattern.MatchString(str) {
		return []string{fmt.Sprintf("%s: %q is not a decimal", at, str)}
	}
	return nil
}

func validateNumber(typ string, v any, at string) []string {
	n, ok := v.(float64)
	if !ok {
		return []string{fmt.Sprintf("%s: %v is not a number", at, v)}
	}
	if typ == "integer" && n != float64(int64(n)) {
		return []string{fmt.Sprintf("%s: %v is not an integer", at, v)}
	}
	return nil
}

func (s *spec) validateArray(node map[string]any, v any, at string) []string {
	list, ok := v.([]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %v is not an array", at, v)}
	}
	var errs []string
	for i, it := range list {
		errs = append(errs, s.validate(node["items"], it, fmt.Sprintf("%s[%d]", at, i))...)
	}
	return errs
}

func validateEnum(node map[string]any, v any, at string) []string {
	enum, ok := node["enum"].([]any)
	if !ok {
		return nil
	}
	for _, e := range enum {
		if e == v {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: %v is not one of %v", at, v, enum)}
}

func (s *spec) validateObject(node map[string]any, v any, at string) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %v is not an object", at, v)}
	}
	var errs []string
	props, _ := node["properties"].(map[string]any)
	for _, r := range asStrings(node["required"]) {
		if _, ok := obj[r]; !ok {
			errs = append(errs, at+"."+r+": required")
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p, ok := props[k]; ok {
			errs = append(errs, s.validate(p, obj[k], at+"."+k)...)
			continue
		}
		switch ap := node["additionalProperties"].(type) {
		case bool:
			if !ap {
				errs = append(errs, at+"."+k+": not a field of this object")
			}
		case map[string]any:
			errs = append(errs, s.validate(ap, obj[k], at+"."+k)...)
		}
	}
	return errs
}

// flatten merges allOf into one schema, the way the API description is
// meant: the properties of every part, additionalProperties false if any
// part says so, the first type found.
func (s *spec) flatten(node map[string]any) map[string]any {
	parts, ok := node["allOf"].([]any)
	if !ok {
		return node
	}
	m := merged{out: map[string]any{}, props: map[string]any{}}
	m.add(node)
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		if ref, ok := pm["$ref"].(string); ok {
			pm, _ = s.schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		if pm != nil {
			m.add(s.flatten(pm))
		}
	}
	return m.schema()
}

// merged is a schema being built from the parts of an allOf.
type merged struct {
	out      map[string]any
	props    map[string]any
	required []any
}

// add merges one part's keywords.
func (m *merged) add(part map[string]any) {
	for k, v := range part {
		switch k {
		case "properties":
			for pk, pv := range v.(map[string]any) {
				m.props[pk] = pv
			}
		case "required":
			m.required = append(m.required, v.([]any)...)
		case "additionalProperties":
			m.addAdditional(v)
		case "allOf":
		default:
			m.first(k, v)
		}
	}
}

// addAdditional keeps additionalProperties false once any part says so,
// else the first value given.
func (m *merged) addAdditional(v any) {
	if b, ok := v.(bool); ok && !b {
		m.out["additionalProperties"] = false
		return
	}
	m.first("additionalProperties", v)
}

// first sets a keyword unless an earlier part set it.
func (m *merged) first(k string, v any) {
	if _, set := m.out[k]; !set {
		m.out[k] = v
	}
}

// schema is the merged schema.
func (m *merged) schema() map[string]any {
	if len(m.props) > 0 {
		m.out["properties"] = m.props
	}
	if len(m.required) > 0 {
		m.out["required"] = m.required
	}
	return m.out
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, it := range list {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
