package transcript

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// testAPIKey is the INNERTUBE_API_KEY in the captured watch pages.
const testAPIKey = "AIzaSyAO_FJ2SlqU8Q4STEHLGCilw_Y9_11qcW8"

// okVideo is the video of the captured OK watch page and player response.
const okVideo = "GJLlxj_dtq8"

func readTestdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// minimalPage is a watch page with nothing but the bootstrap config, for
// videos whose real watch page was not captured.
func minimalPage() []byte {
	return []byte(`<html><script>ytcfg.set({"INNERTUBE_API_KEY":"` + testAPIKey + `","VISITOR_DATA":"Cgt2aXNpdG9y"});</script></html>`)
}

// playerFromPage extracts the player response embedded in a captured watch
// page, which the fake server then serves as the innertube answer.
func playerFromPage(t testing.TB, page []byte) []byte {
	t.Helper()
	raw := embeddedJSON(string(page), "ytInitialPlayerResponse")
	if raw == "" {
		t.Fatal("no ytInitialPlayerResponse in page")
	}
	return []byte(raw)
}

// fakeYouTube stands in for www.youtube.com: the watch page, the consent
// interstitial, the innertube player endpoint and timedtext.
type fakeYouTube struct {
	t       *testing.T
	pages   map[string][]byte // video ID → watch page
	players map[string][]byte // video ID → player response
	// captions maps "lang/kind/fmt" (kind "asr" or "", fmt "json3" or "")
	// to a body; a missing entry answers 200 with an empty body, as
	// YouTube does for a refused track.
	captions map[string][]byte

	consentPage  []byte // served for /watch until acceptCookie is sent
	acceptCookie string
	watchStatus  int    // overrides 200 for /watch
	watchBody    []byte // overrides the page
	playerStatus int
	playerBody   []byte

	mu       sync.Mutex
	log      []string // "path lang/kind/fmt" of each request
	clients  []string // client names sent to the player endpoint
	cookies  []string
	consents int
}

func newFakeYouTube(t *testing.T) *fakeYouTube {
	return &fakeYouTube{t: t, pages: map[string][]byte{}, players: map[string][]byte{}, captions: map[string][]byte{}}
}

func (f *fakeYouTube) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	switch r.URL.Path {
	case "/watch":
		f.cookies = append(f.cookies, r.Header.Get("Cookie"))
		if f.consentPage != nil && !strings.Contains(r.Header.Get("Cookie"), f.acceptCookie) {
			f.consents++
			w.Write(f.consentPage)
			return
		}
		if f.watchStatus != 0 {
			w.WriteHeader(f.watchStatus)
		}
		if f.watchBody != nil {
			w.Write(f.watchBody)
			return
		}
		page, ok := f.pages[q.Get("v")]
		if !ok {
			page = minimalPage()
		}
		w.Write(page)
	case "/youtubei/v1/player":
		if r.Method != http.MethodPost || q.Get("key") != testAPIKey {
			http.Error(w, "bad player call", http.StatusBadRequest)
			return
		}
		var body struct {
			Context struct {
				Client struct {
					ClientName    string `json:"clientName"`
					ClientVersion string `json:"clientVersion"`
				} `json:"client"`
			} `json:"context"`
			VideoID string `json:"videoId"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.clients = append(f.clients, body.Context.Client.ClientName+"/"+body.Context.Client.ClientVersion)
		if f.playerStatus != 0 {
			w.WriteHeader(f.playerStatus)
		}
		if f.playerBody != nil {
			w.Write(f.playerBody)
			return
		}
		p, ok := f.players[body.VideoID]
		if !ok {
			p = readTestdata(f.t, "youtube", "jdepoix", "youtube_video_unavailable.innertube.json.static")
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(p)
	case "/api/timedtext":
		if q.Get("exp") == "xpe" {
			return // a proof-of-origin token would be needed
		}
		key := q.Get("lang") + "/" + q.Get("kind") + "/" + q.Get("fmt")
		f.log = append(f.log, key)
		w.Write(f.captions[key])
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeYouTube) start() (*httptest.Server, Options) {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	return srv, Options{YouTubeBaseURL: srv.URL, HTTPClient: srv.Client()}
}

// okFake serves the captured OK video: its watch page and player
// response, our json3 for the English creator track and the captured srv1
// XML for every track without json3.
func okFake(t *testing.T) *fakeYouTube {
	f := newFakeYouTube(t)
	f.pages[okVideo] = readTestdata(t, "youtube", "jdepoix", "youtube.html.static")
	f.players[okVideo] = readTestdata(t, "youtube", "jdepoix", "youtube.innertube.json.static")
	f.captions["en//json3"] = readTestdata(t, "youtube", "own", "manual.en.json3")
	f.captions["en/asr/json3"] = readTestdata(t, "youtube", "own", "auto.en.json3")
	xml := readTestdata(t, "youtube", "jdepoix", "transcript.xml.static")
	for _, l := range []string{"de", "es", "zh", "en"} {
		f.captions[l+"//"] = xml
	}
	return f
}

func fetchYT(t *testing.T, opt Options, id string) (*recap.Transcript, error) {
	t.Helper()
	return fetchYouTube(context.Background(), id, opt)
}

func TestYouTubeOK(t *testing.T) {
	t.Parallel()
	f := okFake(t)
	_, opt := f.start()
	tr, err := fetchYT(t, opt, okVideo)
	if err != nil {
		t.Fatal(err)
	}
	want := recap.Source{
		Type:       recap.SourceYouTube,
		URL:        "https://www.youtube.com/watch?v=" + okVideo,
		VideoID:    okVideo,
		Title:      "Surface Go Review - It’s Awesome",
		Channel:    "Dave2D",
		UploadDate: "2018-08-02",
		Duration:   316,
		Language:   "en",
		Captions:   recap.CaptionsManual,
	}
	if tr.Source != want {
		t.Errorf("source:\n got %+v\nwant %+v", tr.Source, want)
	}
	texts := unitTexts(tr)
	wantTexts := []string{
		"Welcome back to the bench.",
		"Today we weigh a small tablet that folds into a laptop.",
		"The hinge feels solid and the screen is bright.",
		"Battery life is the weak spot.",
	}
	if strings.Join(texts, "|") != strings.Join(wantTexts, "|") {
		t.Errorf("units = %q", texts)
	}
	if *tr.Units[1].Start != 4.2 || *tr.Units[1].End != 8 {
		t.Errorf("unit 1 times = %v..%v", *tr.Units[1].Start, *tr.Units[1].End)
	}
	if got := strings.Join(f.log, ","); got != "en//json3" {
		t.Errorf("timedtext requests = %s, want only the json3 of the English creator track", got)
	}
	if got := f.clients[0]; got != YouTubeClientName+"/"+YouTubeClientVersion {
		t.Errorf("player client = %s", got)
	}
	// The page has only YouTube's own chapters (key moments), which are
	// used when the creator gave none.
	if len(tr.Chapters) != 10 || tr.Chapters[0] != (recap.Chapter{Title: "Build Quality", Start: 39.16}) || tr.Chapters[9].Title != "Ports" {
		t.Errorf("chapters = %+v", tr.Chapters)
	}
}

func unitTexts(tr *recap.Transcript) []string {
	var out []string
	for _, u := range tr.Units {
		out = append(out, u.Text)
	}
	return out
}

func TestYouTubeLanguageChoice(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		video    string
		player   string // jdepoix player file
		lang     string
		wantLang string
		wantCaps string
		wantReq  string // timedtext requests in order
	}{
		{"default is the creator's English", okVideo, "youtube.innertube.json.static", "", "en", "manual", "en//json3"},
		{"exact language, XML fallback", okVideo, "youtube.innertube.json.static", "de", "de", "manual", "de//json3,de//"},
		{"base language", okVideo, "youtube.innertube.json.static", "es-MX", "es", "manual", "es//json3,es//"},
		{"missing language falls back to default", okVideo, "youtube.innertube.json.static", "fr", "en", "manual", "en//json3"},
		{"manual beats auto in the same language", "F1xioXWb8CY", "youtube_ww1_nl_en.innertube.json.static", "en", "en", "manual", "en//json3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := okFake(t)
			f.players[tc.video] = readTestdata(t, "youtube", "jdepoix", tc.player)
			_, opt := f.start()
			opt.Lang = tc.lang
			tr, err := fetchYT(t, opt, tc.video)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Source.Language != tc.wantLang || tr.Source.Captions != tc.wantCaps {
				t.Errorf("language %s captions %s, want %s %s", tr.Source.Language, tr.Source.Captions, tc.wantLang, tc.wantCaps)
			}
			if got := strings.Join(f.log, ","); got != tc.wantReq {
				t.Errorf("timedtext requests = %s, want %s", got, tc.wantReq)
			}
		})
	}
}

func TestChooseTrack(t *testing.T) {
	t.Parallel()
	var p playerResponse
	if err := json.Unmarshal(readTestdata(t, "youtube", "jdepoix", "youtube.innertube.json.static"), &p); err != nil {
		t.Fatal(err)
	}
	real := p.Captions.Renderer
	asrOnly := []captionTrack{
		{BaseURL: "https://x/api/timedtext?lang=en&kind=asr", LanguageCode: "en", Kind: "asr", VssID: "a.en"},
	}
	translated := []captionTrack{
		{BaseURL: "https://x/api/timedtext?lang=en&tlang=fr", LanguageCode: "fr", VssID: ".fr"},
		{BaseURL: "https://x/api/timedtext?lang=de&kind=asr", LanguageCode: "de", Kind: "asr"},
	}
	cases := []struct {
		name     string
		tracks   []captionTrack
		def      int
		lang     string
		wantLang string
		wantAuto bool
		wantOK   bool
	}{
		{"default track", real.CaptionTracks, real.defaultTrack(), "", "en", false, true},
		{"exact", real.CaptionTracks, real.defaultTrack(), "ko", "ko", false, true},
		{"case-insensitive", real.CaptionTracks, real.defaultTrack(), "JA", "ja", false, true},
		{"base language", real.CaptionTracks, real.defaultTrack(), "zh-Hans", "zh", false, true},
		{"auto only", asrOnly, -1, "", "en", true, true},
		{"never a translation", translated, -1, "fr", "de", true, true},
		{"none", nil, -1, "", "", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := chooseTrack(tc.tracks, tc.def, tc.lang)
			if ok != tc.wantOK || got.LanguageCode != tc.wantLang || (ok && got.auto() != tc.wantAuto) {
				t.Errorf("got %s auto=%v ok=%v", got.LanguageCode, got.auto(), ok)
			}
		})
	}
}

func TestYouTubeFailures(t *testing.T) {
	t.Parallel()
	jd := func(name string) string { return "jdepoix/" + name }
	cases := []struct {
		name     string
		setup    func(t *testing.T, f *fakeYouTube)
		wantKind Kind
		wantMsg  string
	}{
		{"bot check", playerFile(jd("youtube_request_blocked.innertube.json.static")), KindBotWall, "not a bot"},
		{"age restricted", playerFile(jd("youtube_age_restricted.innertube.json.static")), KindAgeRestricted, "age-restricted"},
		{"age restricted page", pagePlayer("yt-video-irauhITDrsE.watch.html"), KindAgeRestricted, "age-restricted"},
		{"private", pagePlayer("yt-video-m8uHb5jIGN8.watch.html"), KindUnavailable, "private"},
		{"live without recording", pagePlayer("yt-video-5YceQ8YqYMc.watch.html"), KindUnavailable, "This live stream recording is not available."},
		{"unplayable", playerFile(jd("youtube_unplayable.innertube.json.static")), KindUnavailable, "Custom Reason (Sub Reason 1Sub Reason 2)"},
		{"unavailable", playerFile(jd("youtube_video_unavailable.innertube.json.static")), KindUnavailable, "This video is unavailable"},
		{"transcripts disabled", playerFile(jd("youtube_transcripts_disabled.innertube.json.static")), KindNoCaptions, "upload a subtitle file or paste the transcript"},
		{"po token", playerFile(jd("youtube_po_token_required.innertube.json.static")), KindBotWall, "proof-of-origin"},
		{"empty captions", func(t *testing.T, f *fakeYouTube) {
			f.captions["en//json3"] = readTestdata(t, "youtube", "own", "empty.json3")
			f.captions["en//"] = readTestdata(t, "youtube", "jdepoix", "transcript_empty.xml.static")
		}, KindNoCaptions, "empty captions"},
		{"429 on the watch page", func(t *testing.T, f *fakeYouTube) {
			f.watchStatus = http.StatusTooManyRequests
			f.watchBody = readTestdata(t, "youtube", "jdepoix", "youtube_too_many_requests.html.static")
		}, KindBotWall, "blocking"},
		{"recaptcha from the player", func(t *testing.T, f *fakeYouTube) {
			f.playerBody = readTestdata(t, "youtube", "jdepoix", "youtube_too_many_requests.html.static")
		}, KindBotWall, "blocking"},
		{"player 500", func(t *testing.T, f *fakeYouTube) {
			f.playerStatus = http.StatusInternalServerError
			f.playerBody = []byte("oops")
		}, KindNetwork, "HTTP 500"},
		{"page without api key", func(t *testing.T, f *fakeYouTube) {
			f.watchBody = []byte("<html>nothing here</html>")
		}, KindUnknown, "could not read the YouTube page"},
		{"consent without a value", func(t *testing.T, f *fakeYouTube) {
			f.consentPage = readTestdata(t, "youtube", "jdepoix", "youtube_consent_page_invalid.html.static")
			f.acceptCookie = "CONSENT=YES+"
		}, KindBotWall, "cookie consent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := okFake(t)
			tc.setup(t, f)
			_, opt := f.start()
			_, err := fetchYT(t, opt, okVideo)
			checkError(t, err, tc.wantKind, tc.wantMsg)
		})
	}
}

// checkError asserts a classified, one-line error.
func checkError(t *testing.T, err error, kind Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *Error", err, err)
	}
	if e.Kind != kind {
		t.Errorf("kind = %s, want %s (%v)", e.Kind, kind, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("message %q does not contain %q", err.Error(), msg)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("message is not one line: %q", err.Error())
	}
}

func playerFile(name string) func(t *testing.T, f *fakeYouTube) {
	return func(t *testing.T, f *fakeYouTube) {
		dir, file, _ := strings.Cut(name, "/")
		f.players[okVideo] = readTestdata(t, "youtube", dir, file)
	}
}

// pagePlayer serves a captured pytube watch page and its embedded player
// response.
func pagePlayer(name string) func(t *testing.T, f *fakeYouTube) {
	return func(t *testing.T, f *fakeYouTube) {
		page := readTestdata(t, "youtube", "pytube", name)
		f.pages[okVideo] = page
		f.players[okVideo] = playerFromPage(t, page)
	}
}

func TestYouTubePytubeCaptions(t *testing.T) {
	t.Parallel()
	// A 2021 watch page with 13 creator tracks and caption URLs without fmt.
	const id = "QRS8MkLhQmM"
	f := newFakeYouTube(t)
	page := readTestdata(t, "youtube", "pytube", "yt-video-QRS8MkLhQmM.watch.html")
	f.pages[id] = page
	f.players[id] = playerFromPage(t, page)
	f.captions["pt-BR//"] = readTestdata(t, "youtube", "own", "manual.en.srv3.xml")
	_, opt := f.start()
	opt.Lang = "pt-BR"
	tr, err := fetchYT(t, opt, id)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Source.Language != "pt-BR" || tr.Source.UploadDate != "2008-09-22" || tr.Source.Title != "YouTube Captions and Subtitles" {
		t.Errorf("source = %+v", tr.Source)
	}
	if len(tr.Units) != 4 || tr.Units[2].Text != "The hinge feels solid & the screen is bright." {
		t.Errorf("units = %q", unitTexts(tr))
	}
}

func TestYouTubeConsent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		page   string
		accept string
	}{
		{"CONSENT cookie from the form", "youtube_consent_page.html.static", "CONSENT=YES+cb.20210328-17-p0.de+FX+119"},
		{"SOCS cookie", "youtube_consent_page_invalid.html.static", "SOCS=CAI"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := okFake(t)
			f.consentPage = readTestdata(t, "youtube", "jdepoix", tc.page)
			f.acceptCookie = tc.accept
			_, opt := f.start()
			tr, err := fetchYT(t, opt, okVideo)
			if err != nil {
				t.Fatal(err)
			}
			if f.consents != 1 || len(tr.Units) != 4 {
				t.Errorf("consent pages served %d, units %d", f.consents, len(tr.Units))
			}
		})
	}
}

func TestYouTubeNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base, client := srv.URL, srv.Client()
	srv.Close()
	_, err := fetchYT(t, Options{YouTubeBaseURL: base, HTTPClient: client}, okVideo)
	checkError(t, err, KindNetwork, strings.TrimPrefix(base, "http://"))
}

// withPlayer rewrites the OK player response with edit.
func withPlayer(t *testing.T, edit func(p map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(readTestdata(t, "youtube", "jdepoix", "youtube.innertube.json.static"), &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestYouTubeChapters(t *testing.T) {
	t.Parallel()
	description := "A tour of the tablet.\n\n0:00 Intro\n1:05 - Hinge and build\n(2:30) Battery\n4:50 Verdict\n\nFollow me elsewhere."
	playerBar := map[string]any{"playerOverlayRenderer": map[string]any{"decoratedPlayerBarRenderer": map[string]any{"decoratedPlayerBarRenderer": map[string]any{"playerBar": map[string]any{"multiMarkersPlayerBarRenderer": map[string]any{"markersMap": []any{
		map[string]any{"key": "DESCRIPTION_CHAPTERS", "value": map[string]any{"chapters": []any{
			map[string]any{"chapterRenderer": map[string]any{"title": map[string]any{"simpleText": "Opening"}, "timeRangeStartMillis": 0}},
			map[string]any{"chapterRenderer": map[string]any{"title": map[string]any{"simpleText": "Keyboard"}, "timeRangeStartMillis": 95000}},
			map[string]any{"chapterRenderer": map[string]any{"title": map[string]any{"runs": []any{map[string]any{"text": "Wrap"}, map[string]any{"text": " up"}}}, "timeRangeStartMillis": 250500}},
		}}},
	}}}}}}}
	cases := []struct {
		name string
		page []byte // nil: the captured page, whose initial data has YouTube's own chapters
		edit func(p map[string]any)
		want []recap.Chapter
	}{
		{"creator chapters in the player data win", nil, func(p map[string]any) {
			p["playerOverlays"] = playerBar
			p["videoDetails"].(map[string]any)["shortDescription"] = description
		}, []recap.Chapter{chapter("Opening", 0), chapter("Keyboard", 95), chapter("Wrap up", 250.5)}},
		{"description timestamps", minimalPage(), func(p map[string]any) {
			p["videoDetails"].(map[string]any)["shortDescription"] = description
		}, []recap.Chapter{chapter("Intro", 0), chapter("Hinge and build", 65), chapter("Battery", 150), chapter("Verdict", 290)}},
		{"description beats key moments", nil, func(p map[string]any) {
			p["videoDetails"].(map[string]any)["shortDescription"] = description
		}, []recap.Chapter{chapter("Intro", 0), chapter("Hinge and build", 65), chapter("Battery", 150), chapter("Verdict", 290)}},
		{"no chapters", minimalPage(), func(p map[string]any) {}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := okFake(t)
			if tc.page != nil {
				f.pages[okVideo] = tc.page
			}
			f.players[okVideo] = withPlayer(t, tc.edit)
			_, opt := f.start()
			tr, err := fetchYT(t, opt, okVideo)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(tr.Chapters) != fmt.Sprint(tc.want) {
				t.Errorf("chapters = %v, want %v", tr.Chapters, tc.want)
			}
		})
	}
}

func chapter(title string, start float64) recap.Chapter {
	return recap.Chapter{Title: title, Start: start}
}

func TestDescriptionChapters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		desc string
		want int
	}{
		{"three lines from zero", "0:00 A\n0:30 B\n0:09:00 C", 3},
		{"title then time", "Intro 0:00\nMiddle - 2:00\nEnd (3:00)", 3},
		{"bullets and brackets", "• [00:00] A\n• [01:10] B\n• [02:20] C", 3},
		{"not from zero", "0:10 A\n0:30 B\n1:00 C", 0},
		{"only two", "0:00 A\n0:30 B", 0},
		{"out of order dropped", "0:00 A\n2:00 B\n1:00 X\n3:00 C", 3},
		{"past the duration dropped", "0:00 A\n1:00 B\n2:00 C\n99:00 D", 3},
		{"bad seconds", "0:00 A\n0:75 B\n1:00 C", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := descriptionChapters(tc.desc, 600); len(got) != tc.want {
				t.Errorf("got %v", got)
			}
		})
	}
}

func TestParseJSON3(t *testing.T) {
	t.Parallel()
	units, err := parseJSON3(readTestdata(t, "youtube", "own", "auto.en.json3"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"so today we look", "at a tiny laptop", "[Music]"}
	if len(units) != len(want) {
		t.Fatalf("units = %+v", units)
	}
	for i, u := range units {
		if u.Text != want[i] {
			t.Errorf("unit %d = %q, want %q", i, u.Text, want[i])
		}
	}
	if *units[1].Start != 2.31 || *units[1].End != 6.41 {
		t.Errorf("unit 1 = %v..%v", *units[1].Start, *units[1].End)
	}
	if _, err := parseJSON3([]byte("<html>")); err == nil {
		t.Error("HTML parsed as json3")
	}
}

func TestParseTimedTextXML(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		file []string
		want []string
		end  float64 // end of the last unit
	}{
		{"srv1", []string{"jdepoix", "transcript.xml.static"}, []string{
			"Hey, this is just a test", "this is not the original transcript", "just something shorter, I made up for testing",
		}, 5.7 + 3.239},
		{"srv3", []string{"own", "manual.en.srv3.xml"}, []string{
			"Welcome back to the bench.", "Today we weigh a small tablet that folds into a laptop.",
			"The hinge feels solid & the screen is bright.", "It's a good travel machine.",
		}, 18},
		{"empty", []string{"jdepoix", "transcript_empty.xml.static"}, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			units, err := parseTimedTextXML(readTestdata(t, append([]string{"youtube"}, tc.file...)...))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range units {
				got = append(got, u.Text)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("units = %q", got)
			}
			if len(units) > 0 {
				if e := *units[len(units)-1].End; e < tc.end-1e-9 || e > tc.end+1e-9 {
					t.Errorf("last end = %v, want %v", e, tc.end)
				}
			}
		})
	}
}

// TestYouTubeInvidiousMocks reads the unlicensed Invidious captures from the
// shared external folder beside the module when it exists; they are never
// copied into the repository.
func TestYouTubeInvidiousMocks(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(moduleRoot(t), "..", "shared", "external", "youtube", "iv-org-mocks")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("external Invidious mocks not present")
	}
	cases := []struct {
		file string
		kind Kind
	}{
		{"scheduled_live_PBD-Podcast.player.json", KindUnavailable},
		{"regular_no-description.player.json", KindNoCaptions},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			f := okFake(t)
			f.players[okVideo] = data
			_, opt := f.start()
			_, err = fetchYT(t, opt, okVideo)
			checkError(t, err, tc.kind, "")
		})
	}
}

func TestEmbeddedJSON(t *testing.T) {
	t.Parallel()
	page := `<script>var ytInitialPlayerResponse = {"a":"}{\"","b":{"c":1}};var x=1;</script>`
	if got := embeddedJSON(page, "ytInitialPlayerResponse"); got != `{"a":"}{\"","b":{"c":1}}` {
		t.Errorf("got %s", got)
	}
	if got := embeddedJSON(`window["ytInitialData"] = {"k":[1]};`, "ytInitialData"); got != `{"k":[1]}` {
		t.Errorf("got %s", got)
	}
	if got := embeddedJSON(`ytInitialData is {"open"`, "ytInitialData"); got != "" {
		t.Errorf("got %s", got)
	}
}
