package summarize

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// stubRelay answers POST /relay/v1/recap with what answer makes of the
// builtin engine's recap of the request's transcript.
func stubRelay(t *testing.T, answer func(doc *recap.Document) (int, any)) Engine {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != RelayRecapPath || r.Header.Get("Authorization") != "Bearer rly1_test" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		var req RelayRecapRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.InstallID != "inst-a" || req.UserID != "u1" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		doc, err := NewBuiltin().Summarize(r.Context(), req.Transcript(), nil)
		if err != nil {
			t.Error(err)
		}
		doc.Engine = recap.Engine{Name: recap.EngineOpenAI, Model: "m"}
		status, body := answer(doc)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	e, err := NewRelay(RelayOptions{URL: srv.URL, LLM: LLMOptions{Log: quiet},
		Account: func(_ context.Context, user string) (RelayAccount, error) {
			return RelayAccount{InstallID: "inst-a", License: "rly1_test", UserID: user}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRelayEngineChecksTheRelay(t *testing.T) {
	t.Parallel()
	tr := watchtowers(t, true)
	cases := []struct {
		name    string
		answer  func(doc *recap.Document) (int, any)
		engine  string
		note    string
		dropped int
	}{
		{"good", func(d *recap.Document) (int, any) { return 200, RelayRecapResponse{Document: d, Pool: 3} }, recap.EngineRelay, "", 0},
		{"an invented key point is dropped", func(d *recap.Document) (int, any) {
			d.Topics[0].Segments[0].Text = "The chocolate factory opens on Mondays and sells fudge."
			return 200, RelayRecapResponse{Document: d}
		}, recap.EngineRelay, "", 1},
		{"other units", func(d *recap.Document) (int, any) {
			d.Transcript[3].Text = "something else"
			return 200, RelayRecapResponse{Document: d}
		}, recap.EngineBuiltin, "unit 3 of the relay's transcript differs", 0},
		{"topic outside the transcript", func(d *recap.Document) (int, any) {
			d.Topics[len(d.Topics)-1].EndUnit = len(d.Transcript) + 5
			return 200, RelayRecapResponse{Document: d}
		}, recap.EngineBuiltin, "outside the transcript", 0},
		{"overlapping topics", func(d *recap.Document) (int, any) {
			d.Topics[1].StartUnit = d.Topics[0].StartUnit
			return 200, RelayRecapResponse{Document: d}
		}, recap.EngineBuiltin, "not valid", 0},
		{"no grounded point", func(d *recap.Document) (int, any) {
			for i := range d.Topics {
				for j := range d.Topics[i].Segments {
					d.Topics[i].Segments[j].Text = "Zebras juggle purple saxophones underwater."
				}
			}
			return 200, RelayRecapResponse{Document: d}
		}, recap.EngineBuiltin, "none of the relay's key points", 0},
		{"not a recap", func(*recap.Document) (int, any) { return 200, map[string]any{"hello": 1} }, recap.EngineBuiltin, "not a recap", 0},
		{"pool empty", func(*recap.Document) (int, any) {
			return 402, map[string]string{"code": "pool_empty", "message": "empty"}
		}, recap.EngineBuiltin, "credit pool for this instance is empty", 0},
		{"license refused", func(*recap.Document) (int, any) { return 401, map[string]string{"code": "unauthorized"} }, recap.EngineBuiltin, "refused the license", 0},
		{"model failed", func(*recap.Document) (int, any) {
			return 502, map[string]string{"code": "model_failed", "message": "The relay's model made no recap"}
		}, recap.EngineBuiltin, "HTTP 502: The relay's model made no recap", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := stubRelay(t, c.answer)
			doc, err := e.Summarize(WithUser(context.Background(), "u1"), tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			finish(t, doc, tr)
			if doc.Engine.Name != c.engine || !strings.Contains(doc.Engine.Note, c.note) {
				t.Fatalf("engine %+v, want %s with a note containing %q", doc.Engine, c.engine, c.note)
			}
			if doc.Engine.Name == recap.EngineRelay {
				if doc.Stats.Ungrounded != c.dropped {
					t.Fatalf("ungrounded = %d, want %d", doc.Stats.Ungrounded, c.dropped)
				}
				checkGrounded(t, doc)
			}
		})
	}
}

func TestRelayEngineUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	e, err := NewRelay(RelayOptions{URL: url, LLM: LLMOptions{Log: quiet},
		Account: func(context.Context, string) (RelayAccount, error) {
			return RelayAccount{InstallID: "i", License: "k"}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	tr := watchtowers(t, true)
	doc, err := e.Summarize(context.Background(), tr, nil)
	if err != nil || doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "could not be reached") {
		t.Fatalf("%+v %v", doc.Engine, err)
	}
	// A cancelled job is an error, not a fallback.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Summarize(ctx, tr, nil); err == nil {
		t.Fatal("a cancelled job made a recap")
	}
}
