package startos

import (
	"reflect"
	"strings"
	"testing"
)

func TestMapNodeSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw, admin string
		wantMode         string
		wantMapped       map[string]any
		wantUnknown      []string
		wantProblem      string
	}{
		{name: "single, no settings", wantMode: "single", wantMapped: map[string]any{"mode.type": "single"}, wantUnknown: []string{}},
		{name: "multi from the database's admin", admin: "owner@example.org", wantMode: "multi",
			wantMapped: map[string]any{"mode.type": "multi", "mode.admin-email": "owner@example.org"}, wantUnknown: []string{}},
		{name: "snake_case operator settings, nested, with unknowns",
			raw:      `{"config": {"trial_credits_per_visitor": 5, "trials_per_ip_per_day": 2, "tenant_default_credits": 50, "tenant_credit_replenish_period": 14}, "keysat_api_url": "https://x"}`,
			admin:    "owner@example.org",
			wantMode: "multi",
			wantMapped: map[string]any{"mode.type": "multi", "mode.admin-email": "owner@example.org", "mode.trial-credits": 5,
				"mode.trials-per-ip-per-day": 2, "mode.default-credits": 50, "mode.replenish-days": 14},
			wantUnknown: []string{"keysat_api_url"}},
		{name: "camelCase, mode said single despite an admin", raw: `{"recapMode": "single", "allowSignups": true, "publicUrl": " https://r.example.org "}`,
			admin: "owner@example.org", wantMode: "single",
			wantMapped: map[string]any{"mode.type": "single", "mode.admin-email": "owner@example.org", "mode.allow-signups": true,
				"mode.public-url": "https://r.example.org"}, wantUnknown: []string{}},
		{name: "values that cannot be used are reported", raw: `{"trial_credits_per_visitor": 2.5, "tenant_credit_replenish_period": 2592000000, "mode": "cloud"}`,
			wantMode: "single", wantMapped: map[string]any{"mode.type": "single"}, wantUnknown: []string{}, wantProblem: "mode.replenish-days keeps its default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, rep, err := MapNodeSettings([]byte(c.raw), c.admin)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Mode != c.wantMode || !reflect.DeepEqual(rep.Mapped, c.wantMapped) || !reflect.DeepEqual(rep.Unknown, c.wantUnknown) {
				t.Fatalf("report = %+v", rep)
			}
			if c.wantProblem != "" && !strings.Contains(strings.Join(rep.Problems, "\n"), c.wantProblem) {
				t.Fatalf("problems = %q, want one about %q", rep.Problems, c.wantProblem)
			}
			if c.wantProblem == "" && len(rep.Problems) != 0 {
				t.Fatalf("problems = %q", rep.Problems)
			}
			if cfg["smtp"].(map[string]any)["type"] != "system" {
				t.Fatalf("mail is not System SMTP: %v", cfg)
			}
		})
	}
	if _, _, err := MapNodeSettings([]byte(`[1,2]`), ""); err == nil {
		t.Fatal("a settings file that is not an object was accepted")
	}
}
