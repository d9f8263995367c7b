package transcript

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prose is a plain-text transcript just long enough to recap.
var prose = strings.Repeat("The panel talked about solar power and the batteries that keep it for the night. ", 3)

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseRefusesWhatIsNotATranscript feeds Parse the things people
// mistake for transcripts, each under a name that hides what it is, and
// wants a bad-input error that says what was received and what Recap
// accepts.
func TestParseRefusesWhatIsNotATranscript(t *testing.T) {
	t.Parallel()
	zip := []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00")
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)...)
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(1 + (i*151+i/7)%255) // every byte value but NUL: mostly not text
	}
	cases := []struct {
		name     string
		file     string
		data     []byte
		received string // what the message must say was received
	}{
		{"PNG named .txt", "notes.txt", readFixture(t, "../../icon.png"), "is a PNG image"},
		{"PDF named .srt", "talk.srt", []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n"), "is a PDF document"},
		{"zip named .vtt", "talk.vtt", zip, "is a zip archive"},
		{"ELF executable", "recap", elf, "is an executable program (ELF)"},
		{"NUL bytes in text", "talk.txt", []byte("Hello there\x00\x00\x01 and more words\x00 here in the file"), "contains NUL bytes"},
		{"mostly not text", "talk.md", noise, "mostly bytes that are not text"},
		{"CSS", "app.txt", readFixture(t, "../server/static/app.css"), "is a CSS style sheet"},
		{"CSS snippet", "-", []byte(".button {\n  color: red;\n  padding: 0 1em;\n}\n\nbody > main {\n  margin: 0 auto;\n}\n"), "is a CSS style sheet"},
		{"Go source", "refuse.txt", readFixture(t, "refuse.go"), "looks like source code"},
		{"JavaScript", "app.md", readFixture(t, "../server/static/app.js"), "looks like source code"},
		{"XML not a feed", "data.txt", []byte(`<?xml version="1.0"?><config><item name="a">value</item></config>`), "is XML (not a podcast feed)"},
		{"bare HTML page", "index.html", []byte(`<!doctype html><html><head><title>Recap</title></head><body>
<nav><a href="/">Home</a> <a href="/library">Library</a> <a href="/account">Account</a></nav>
<main><h1>Recap</h1><form><input name="source"><button>Recap it</button></form>
<ul><li>Library</li><li>Search</li><li>Settings</li><li>Sign out</li></ul></main></body></html>`), "is an HTML page without a transcript in it"},
		{"mistyped link", "pasted text", []byte("htp://example..com/feed.xml"), `"htp" is not http or https`},
		{"link with an empty host label", "pasted text", []byte("https://example..com/feed.xml\n"), `the host name "example..com" has an empty part`},
		{"link without a scheme", "pasted text", []byte("example..com/feed.xml"), "has no http:// or https://"},
		{"a valid link as content", "link.txt", []byte("https://example.org/feed.xml"), "is only a link"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.file, tc.data, Options{})
			if err == nil {
				t.Fatal("accepted")
			}
			if KindOf(err) != KindBadInput {
				t.Fatalf("kind %v: %v", KindOf(err), err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.received) || !strings.Contains(msg, "not a transcript") || !strings.Contains(msg, accepted) {
				t.Fatalf("message %q\nwant it to say %q, \"not a transcript\" and what is accepted", msg, tc.received)
			}
			if err := Check(tc.file, tc.data); err == nil || err.Error() != msg {
				t.Fatalf("Check says %v, Parse %q", err, msg)
			}
		})
	}
}

func TestParseRefusesTextTooShort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, in, want string }{
		{"two words", "pasted text", "hello world", "The pasted text has only 2 words; that is too short to recap: a transcript needs at least 30 words"},
		{"one cue", "a.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello.\n", "a.vtt has only 1 word;"},
		{"stdin", "-", "Just a few words here.", "The input has only 5 words;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.file, []byte(tc.in), Options{})
			if KindOf(err) != KindBadInput || !strings.HasPrefix(err.Error(), tc.want) || !strings.Contains(err.Error(), accepted) {
				t.Fatalf("got %v (kind %v), want it to start with %q", err, KindOf(err), tc.want)
			}
		})
	}
	if _, err := Parse("pasted text", []byte(prose), Options{}); err != nil {
		t.Fatalf("%d words refused: %v", len(strings.Fields(prose)), err)
	}
}

// TestParseAcceptsRealTranscripts makes sure the refusals leave alone
// every real transcript in testdata, whatever its encoding.
func TestParseAcceptsRealTranscripts(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{"../../testdata/talks/*.md", "../../testdata/podcast/transcripts-example.*", "../../testdata/subtitles/go-astisub/example-in*"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, ".golden") && !strings.HasSuffix(f, ".json") {
				files = append(files, f)
			}
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d files", len(files))
	}
	for _, f := range files {
		data := readFixture(t, f)
		if what := sniffBinary(data); what != "" {
			t.Errorf("%s %s", f, what)
		}
		if _, _, err := parseDocument(f, data, Options{MaxBytes: 1 << 30}); err != nil && strings.Contains(err.Error(), "not a transcript") {
			t.Errorf("%s: %v", f, err)
		}
	}
	// UTF-16 has NUL bytes and is still text.
	utf16 := []byte{0xFF, 0xFE}
	for _, c := range prose {
		utf16 = append(utf16, byte(c), 0)
	}
	if _, err := Parse("utf16.txt", utf16, Options{}); err != nil {
		t.Fatalf("UTF-16: %v", err)
	}
	// A transcript that quotes a little code or CSS is still a transcript.
	mixed := prose + "\nShe typed:\nbody { color: red; }\nand the page went red.\n"
	if _, err := Parse("mixed.txt", []byte(mixed), Options{}); err != nil {
		t.Fatalf("prose with a line of code: %v", err)
	}
}

func TestCheckLink(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://example.org/feed.xml":        "",
		"http://192.0.2.7:8080/a.vtt":         "",
		"https://[2001:db8::1]/a.vtt":         "",
		"https://xn--bcher-kva.example/a.vtt": "",
		"htp://example..com/feed.xml":         `"htp" is not http or https`,
		"https://example..com/feed.xml":       "empty part",
		"https://.example.com/":               "empty part",
		"https://exa_mple.com/":               "the character '_'",
		"https://-example.com/":               "hyphen",
		"example.com/feed.xml":                "no http:// or https://",
	} {
		err := CheckLink(raw)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", raw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || KindOf(err) != KindBadInput):
			t.Errorf("%s: got %v, want %q", raw, err, want)
		}
	}
}

func TestFetchRefusesABadLinkAndBinaryStdin(t *testing.T) {
	t.Parallel()
	_, err := Fetch(context.Background(), "https://example..com/feed.xml", Options{})
	if KindOf(err) != KindBadInput || !strings.Contains(err.Error(), "empty part") {
		t.Fatalf("bad host: %v", err)
	}
	png := readFixture(t, "../../icon.png")
	_, err = Fetch(context.Background(), "-", Options{LocalFiles: true, Stdin: bytes.NewReader(png)})
	if KindOf(err) != KindBadInput || !strings.Contains(err.Error(), "The input is a PNG image") {
		t.Fatalf("PNG on stdin: %v", err)
	}
}
