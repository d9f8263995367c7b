package startos

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/mail/mailtest"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"0.3.0", "0.3.0", false},
		{"0.2.155", "0.2.155", false},
		{"0.2.155.1", "0.2.155.1", false},
		{"v1.2.3", "1.2.3", false},
		{"1.2", "", true},
		{"1.2.3.4.5", "", true},
		{"1.2.x", "", true},
		{"1.02.3", "", true},
		{"0.3.0:1", "", true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			v, err := ParseVersion(c.in)
			if (err != nil) != c.wantErr || (err == nil && v.String() != c.want) {
				t.Fatalf("ParseVersion(%q) = %v, %v", c.in, v, err)
			}
		})
	}
	order := []string{"0.1.0", "0.2.9", "0.2.155", "0.2.155.1", "0.3.0", "0.3.0.1", "0.3.1", "1.0.0"}
	for i := 1; i < len(order); i++ {
		a, _ := ParseVersion(order[i-1])
		b, _ := ParseVersion(order[i])
		if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
			t.Errorf("%s should sort before %s", a, b)
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	valid := "mode:\n  type: single\n"
	nodeShape := "mode:\n  type: single\nemail:\n  enabled: \"false\"\n"
	cases := []struct {
		name, direction, other, config string
		want                           bool
		wantErr                        string
	}{
		{"from node, config fits", MigrateFrom, "0.2.155", valid, true, ""},
		{"from node, other shape", MigrateFrom, "0.2.155", nodeShape, false, ""},
		{"from node, no config", MigrateFrom, "0.2.100", "", true, ""},
		{"from newer with unknown keys", MigrateFrom, "0.4.0", "mode:\n  type: single\nfuture: 1\n", false, ""},
		{"from go", MigrateFrom, "0.3.0", valid, true, ""},
		{"to node", MigrateTo, "0.2.155", valid, false, "cannot be downgraded to 0.2.155"},
		{"to an older Go version", MigrateTo, "0.3.0", valid, false, "cannot be downgraded to 0.3.0"},
		{"to the same version", MigrateTo, "0.3.1", valid, true, ""},
		{"to newer", MigrateTo, "0.3.2", valid, true, ""},
	}
	running := Version{0, 3, 1, 0}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			if c.config != "" {
				writeFile(t, filepath.Join(data, "start9", "config.yaml"), c.config)
			}
			v, err := ReadMigrationInput(strings.NewReader(`"` + c.other + `"`))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Migrate(data, c.direction, v, running)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Migrate = %+v, %v; want an error about %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil || got.Configured != c.want {
				t.Fatalf("Migrate = %+v, %v; want configured %v", got, err, c.want)
			}
		})
	}
	if _, err := Migrate(t.TempDir(), "sideways", Version{}, running); err == nil {
		t.Fatal("bad direction accepted")
	}
}

func TestReadUptime(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"1500": 1500 * time.Millisecond, "12.5\n": 12500 * time.Microsecond, "": StartupGrace} {
		got, err := ReadUptime(strings.NewReader(in))
		if err != nil || got != want {
			t.Errorf("ReadUptime(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ReadUptime(strings.NewReader(`"soon"`)); err == nil {
		t.Error("non-number accepted")
	}
}

func TestCheckHealth(t *testing.T) {
	t.Parallel()
	answer := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/healthz"
	}
	// A loopback port nothing listens on.
	closed := "http://" + mailtest.FreeAddr(t) + "/healthz"

	cases := []struct {
		name     string
		url      string
		uptime   time.Duration
		wantCode int
		wantMsg  string
	}{
		{"ready", answer(200, `{"status":"ok","mode":"single","version":"0.3.0"}`), time.Minute, HealthOK, ""},
		{"migrating", answer(503, `{"status":"migrating","message":"Upgrading the database (2 of 5)"}`), time.Minute, HealthLoading, "Upgrading the database"},
		{"loading without message", answer(503, `{"status":"loading"}`), time.Minute, HealthLoading, "Recap is loading"},
		{"starting early", closed, time.Second, HealthStarting, ""},
		{"not listening late", closed, 10 * time.Minute, HealthFailure, "not listening"},
		{"error with message", answer(500, `{"status":"error","message":"library folder is not writable\nmore"}`), time.Minute, HealthFailure, "library folder is not writable"},
		{"not json", answer(502, `bad gateway`), time.Minute, HealthFailure, "HTTP 502"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CheckHealth(context.Background(), &http.Client{Timeout: 5 * time.Second}, c.url, c.uptime)
			if got.Code != c.wantCode || !strings.Contains(got.Message, c.wantMsg) || strings.Contains(got.Message, "\n") {
				t.Fatalf("CheckHealth = %+v, want code %d with %q", got, c.wantCode, c.wantMsg)
			}
		})
	}
}

func TestActionResultAndInput(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Result("Password reset for %s", "you").WithValue("pw", true).Write(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["version"] != "0" || m["message"] != "Password reset for you" || m["value"] != "pw" || m["copyable"] != true || m["qr"] != false || len(m) != 5 {
		t.Fatalf("result = %v", m)
	}
	buf.Reset()
	Result("done").Write(&buf)
	if !strings.Contains(buf.String(), `"value":null`) {
		t.Fatalf("no-value result = %s", buf.String())
	}

	var in struct {
		Keep int `json:"keep"`
	}
	in.Keep = 5
	for _, empty := range []string{"", "  \n", "null", "{}"} {
		if err := DecodeInput(strings.NewReader(empty), &in); err != nil || in.Keep != 5 {
			t.Errorf("DecodeInput(%q) = %v, keep %d", empty, err, in.Keep)
		}
	}
	if err := DecodeInput(strings.NewReader(`{"keep":3}`), &in); err != nil || in.Keep != 3 {
		t.Errorf("keep = %d, %v", in.Keep, err)
	}
	if err := DecodeInput(strings.NewReader(`{"kept":3}`), &in); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestCollectStats(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	saveRecap(t, data, "20260102-030405-aaaaaaaa", "youtube")
	saveRecap(t, data, "20260102-030405-bbbbbbbb", "youtube")
	saveRecap(t, data, "20260102-030405-cccccccc", "podcast")
	writeFile(t, filepath.Join(data, "history", "junk.json"), "{")
	s, err := CollectStats(data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Recaps != 3 || s.Words != 45 || s.Skipped != 1 || len(s.ByType) != 2 || s.ByType[0].Type != "youtube" || s.ByType[0].Recaps != 2 {
		t.Fatalf("stats = %+v", s)
	}
	if s.LibraryBytes == 0 || s.DataBytes < s.LibraryBytes {
		t.Fatalf("sizes = %+v", s)
	}
	if got := HumanBytes(1234567); got != "1.2 MB" {
		t.Errorf("HumanBytes = %q", got)
	}
}

func TestPrepareVolume(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	writeFile(t, filepath.Join(data, stagingDir, "history", "x.json"), "left by a failed restore")
	if err := PrepareVolume(data); err != nil {
		t.Fatal(err)
	}
	if readFile(t, filepath.Join(data, ".backupignore")) != "cache\n" || !exists(filepath.Join(data, "start9")) || exists(filepath.Join(data, stagingDir)) {
		t.Fatal("volume not prepared")
	}
	if err := PrepareVolume(data); err != nil {
		t.Fatal(err)
	}
}
