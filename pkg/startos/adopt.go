package startos

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/recap-startos/recap/pkg/config"
)

// Adopting the earlier Recap's data folder (its 0.2.x versions, a StartOS
// 0.4 package in Node.js). Its library (history/<userId>/*.json) and its
// database (recap.db) are read by the Go service as they are; what needs
// translating is its settings. The earlier package kept them as JSON in
// the main volume (store.json, the SDK's usual file model); the names
// below are those of its operator settings, in snake_case or camelCase.
// Everything else in that file is reported and left at Recap's defaults.

// NodeSettingsFiles are where the earlier package's settings may be,
// relative to the data folder, first found wins.
var NodeSettingsFiles = []string{"store.json", "start9/store.json"}

// nodeSetting maps one earlier setting onto a config key.
type nodeSetting struct {
	names []string // as the earlier package spelled it
	key   string   // config key path
	kind  string   // "mode", "email", "url", "bool", "count", "days"
}

var nodeSettings = []nodeSetting{
	{[]string{"mode", "recap_mode", "recapMode"}, "mode.type", "mode"},
	{[]string{"admin_email", "adminEmail", "operator_email", "operatorEmail"}, "mode.admin-email", "email"},
	{[]string{"public_url", "publicUrl"}, "mode.public-url", "url"},
	{[]string{"allow_signups", "allowSignups"}, "mode.allow-signups", "bool"},
	{[]string{"trial_credits_per_visitor", "trialCreditsPerVisitor"}, "mode.trial-credits", "count"},
	{[]string{"trials_per_ip_per_day", "trialsPerIpPerDay"}, "mode.trials-per-ip-per-day", "count"},
	{[]string{"tenant_default_credits", "tenantDefaultCredits"}, "mode.default-credits", "count"},
	{[]string{"tenant_credit_replenish_period", "tenantCreditReplenishPeriod"}, "mode.replenish-days", "days"},
}

// AdoptReport says what adopting an earlier data folder did.
type AdoptReport struct {
	Mode       string         `json:"mode"`               // single or multi
	Settings   string         `json:"settings,omitempty"` // the settings file read, relative to DATA
	Mapped     map[string]any `json:"mapped"`             // config key → value taken from it
	Unknown    []string       `json:"unknown"`            // its settings left at defaults
	Problems   []string       `json:"problems"`           // values that could not be used, and why
	KeptConfig bool           `json:"kept_config"`        // config.yaml existed and loads: left as it was
	Wrote      bool           `json:"wrote"`              // config.yaml was written
}

// MapNodeSettings turns the earlier package's settings (raw JSON, may be
// nil) into config values. adminEmail is the database's admin, if any:
// it fills mode.admin-email and makes multi the mode when the settings
// name none. The earlier Recap sent mail through System SMTP only, so
// the mail choice is System SMTP.
func MapNodeSettings(raw []byte, adminEmail string) (map[string]any, AdoptReport, error) {
	rep := AdoptReport{Mapped: map[string]any{}, Unknown: []string{}, Problems: []string{}}
	flat := map[string]any{}
	if len(raw) > 0 {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, rep, fmt.Errorf("the earlier settings are not a JSON object: %w", err)
		}
		flatten(doc, "", flat)
	}
	rep.mapSettings(flat)
	rep.fillAdmin(adminEmail)
	cfg := nestKeys(rep.Mapped)
	cfg["smtp"] = map[string]any{"type": config.SMTPSystem}
	return cfg, rep, nil
}

// mapSettings converts each known setting of flat into rep.Mapped (the
// first spelling found wins), and lists the others as unknown.
func (rep *AdoptReport) mapSettings(flat map[string]any) {
	used := map[string]bool{}
	for _, s := range nodeSettings {
		for _, name := range s.names {
			v, ok := flat[name]
			if !ok {
				continue
			}
			used[name] = true
			if val, err := s.convert(v); err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v; %s keeps its default", name, err, s.key))
			} else if _, done := rep.Mapped[s.key]; !done {
				rep.Mapped[s.key] = val
			}
		}
	}
	for name := range flat {
		if !used[name] {
			rep.Unknown = append(rep.Unknown, name)
		}
	}
	sort.Strings(rep.Unknown)
}

// fillAdmin makes the database's admin (if any) the admin email and
// multi the mode, where the settings named neither.
func (rep *AdoptReport) fillAdmin(adminEmail string) {
	if _, ok := rep.Mapped["mode.admin-email"]; !ok && adminEmail != "" {
		rep.Mapped["mode.admin-email"] = adminEmail
	}
	if _, ok := rep.Mapped["mode.type"]; !ok {
		rep.Mapped["mode.type"] = config.ModeSingle
		if adminEmail != "" {
			rep.Mapped["mode.type"] = config.ModeMulti
		}
	}
	rep.Mode = rep.Mapped["mode.type"].(string)
}

// nestKeys turns "section.name" keys into a section → name → value map,
// the shape of config.yaml.
func nestKeys(flat map[string]any) map[string]any {
	cfg := map[string]any{}
	for key, v := range flat {
		section, name, _ := strings.Cut(key, ".")
		m, _ := cfg[section].(map[string]any)
		if m == nil {
			m = map[string]any{}
			cfg[section] = m
		}
		m[name] = v
	}
	return cfg
}

// flatten collects the leaves of doc by their own names: the earlier
// settings may sit at the top or one object down (e.g. under "config").
func flatten(doc map[string]any, prefix string, out map[string]any) {
	for k, v := range doc {
		if m, ok := v.(map[string]any); ok && prefix == "" {
			flatten(m, k+".", out)
			continue
		}
		if _, taken := out[k]; !taken {
			out[k] = v
		}
	}
}

// convert checks an earlier value against the setting's kind and
// returns it as the config key takes it.
func (s nodeSetting) convert(v any) (any, error) {
	switch s.kind {
	case "mode":
		return convertMode(v)
	case "email", "url":
		return convertText(v)
	case "bool":
		return convertBool(v)
	case "days":
		return convertCount(v, 1, 365, "a number of days from 1 to 365")
	}
	return convertCount(v, 0, 1_000_000, "a whole number from 0 to 1000000")
}

func convertMode(v any) (any, error) {
	m, _ := v.(string)
	if !knownMode(m) {
		return nil, fmt.Errorf("%v is not single or multi", v)
	}
	return m, nil
}

func convertText(v any) (any, error) {
	str, ok := v.(string)
	if !ok || strings.TrimSpace(str) == "" {
		return nil, fmt.Errorf("%v is not text", v)
	}
	return strings.TrimSpace(str), nil
}

func convertBool(v any) (any, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, fmt.Errorf("%v is not true or false", v)
	}
	return b, nil
}

// convertCount takes a whole JSON number from 0 to 1000000 and within
// min..max; want describes min..max in the error.
func convertCount(v any, min, max float64, want string) (any, error) {
	n, ok := v.(float64)
	if !ok || n != math.Trunc(n) || n < 0 || n > 1_000_000 {
		return nil, fmt.Errorf("%v is not a whole number from 0 to 1000000", v)
	}
	if n < min || n > max {
		return nil, fmt.Errorf("%v is not %s", v, want)
	}
	return int(n), nil
}
