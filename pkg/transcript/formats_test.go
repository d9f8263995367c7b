package transcript

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/recap-startos/recap/pkg/recap"
)

// parseCase is one edge case of a parser: an input document and either
// the units it must give, rendered by renderUnits, or the start of the
// error message it must fail with.
type parseCase struct {
	name    string
	file    string // file name given to Parse; "-" when empty
	in      string
	want    []string
	wantErr string
	check   func(t *testing.T, tr *recap.Transcript)
}

// renderUnits writes units as "start speaker: text" lines, start with up
// to three decimals, or "- text" for untimed units.
func renderUnits(units []recap.Unit) []string {
	out := make([]string, len(units))
	for i, u := range units {
		var b strings.Builder
		if u.Start != nil {
			b.WriteString(strconv.FormatFloat(*u.Start, 'f', -1, 64))
		} else {
			b.WriteString("-")
		}
		b.WriteByte(' ')
		if u.Speaker != "" {
			b.WriteString(u.Speaker + ": ")
		}
		b.WriteString(u.Text)
		out[i] = b.String()
	}
	return out
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "-"
			}
			tr, err := parseAnyLength(file, []byte(tc.in), Options{})
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("no error; units %q", renderUnits(tr.Units))
				}
				if !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error %q, want it to start with %q", err, tc.wantErr)
				}
				if !IsBadInput(err) {
					t.Errorf("error kind %v is not a bad-input kind", KindOf(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, tr)
			if tc.want != nil {
				got := renderUnits(tr.Units)
				if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("units:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
			}
			if tc.check != nil {
				tc.check(t, tr)
			}
		})
	}
}

// youTubeAuto is the shape of a current YouTube automatic-caption track:
// each cue repeats the line before it and adds one with word times, and
// a 10 ms cue holding the finished line sits between them.
const youTubeAuto = `WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:02.310 align:start position:0%
 
so<00:00:00.320><c> today</c><00:00:00.640><c> we</c><00:00:00.960><c> are</c><00:00:01.280><c> going</c>

00:00:02.310 --> 00:00:02.320 align:start position:0%
so today we are going
 

00:00:02.320 --> 00:00:05.190 align:start position:0%
so today we are going
to<00:00:02.640><c> talk</c><00:00:02.960><c> about</c><00:00:03.280><c> parsers</c>

00:00:05.190 --> 00:00:05.200 align:start position:0%
to talk about parsers
 

00:00:05.200 --> 00:00:07.000 align:start position:0%
to talk about parsers
and<00:00:05.500><c> fuzzing</c>
`

func TestParseVTT(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{
			name: "byte order mark and text after the signature",
			in:   "\uFEFFWEBVTT - a film\n\n00:00:01.000 --> 00:00:02.000\nHello.\n",
			want: []string{"1 Hello."},
		},
		{
			name: "metadata headers",
			in:   "WEBVTT\nKind: captions\nLanguage: de\nStyle:\n::cue(c.x) { color: red;\n}\n##\n\n00:01.000 --> 00:02.000\nHallo.\n",
			want: []string{"1 Hallo."},
			check: func(t *testing.T, tr *recap.Transcript) {
				if tr.Source.Language != "de" {
					t.Errorf("language %q", tr.Source.Language)
				}
			},
		},
		{
			name: "cue ids, settings and hour-less times",
			in:   "WEBVTT\n\nintro\n00:05.500 --> 00:07.250 align:start line:0 position:10%\nOne.\n\n2\n01:02:03.040 --> 01:02:04.000\tregion:fred\nTwo.\n",
			want: []string{"5.5 One.", "3723.04 Two."},
		},
		{
			name: "times without milliseconds, short fractions and one-digit fields",
			in:   "WEBVTT\n\n00:01:39 --> 00:01:41.04\nA.\n\n0:0:42.5 --> 0:0:43.0\nB.\n",
			want: []string{"42.5 B.", "99 A."},
		},
		{
			name: "NOTE, STYLE and REGION blocks are skipped",
			in: "WEBVTT\n\nNOTE a comment\nover two lines\n\nSTYLE\n::cue { color: red }\n\nREGION\nid:fred width:40%\n\n" +
				"00:00.000 --> 00:01.000\nText.\n\nNOTE the end\n",
			want: []string{"0 Text."},
		},
		{
			name: "markup is stripped and voices become speakers",
			in:   "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Roger Bingham><i>We</i> are <b>in</b> <c.yellow>New York</c> <u>City</u></v>\n",
			want: []string{"0 Roger Bingham: We are in New York City"},
		},
		{
			name: "voices spanning lines and several voices in one cue",
			in:   "WEBVTT\n\n00:00.000 --> 00:03.000\n<v.loud Ann>Not ready yet?\nAlright.\n<v Bob>Okay.</v>\n<i>Laughter</i>\n",
			want: []string{"0 Ann: Not ready yet? Alright.", "0 Bob: Okay. Laughter"},
		},
		{
			name: "inline word timestamps",
			in:   "WEBVTT\n\n00:16.500 --> 00:18.500\nWhen the moon <00:17.500>hits your eye\n",
			want: []string{"16.5 When the moon hits your eye"},
		},
		{
			name: "YouTube rolling lines read once",
			in:   youTubeAuto,
			want: []string{"0 so today we are going", "2.32 to talk about parsers", "5.2 and fuzzing"},
		},
		{
			name: "zero-length cues repeating the text are dropped, others merged",
			in: "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBye.\n\n00:00:02.000 --> 00:00:02.000\nBye.\n\n" +
				"00:00:02.000 --> 00:00:02.000\nBye.\n\n00:00:02.000 --> 00:00:02.000\nSee you.\n\n00:00:03.000 --> 00:00:04.000\nNext.\n",
			want: []string{"1 Bye. See you.", "3 Next."},
		},
		{
			name: "entities and invisible marks",
			in:   "WEBVTT\n\n00:00.000 --> 00:01.000\nQ&amp;A &lt;3 caf&eacute;&nbsp;time&lrm;\n",
			want: []string{"0 Q&A <3 café time"},
		},
		{
			name: "a stray less-than sign stays text",
			in:   "WEBVTT\n\n00:00.000 --> 00:01.000\n1 < 2 and x<y\n",
			want: []string{"0 1 < 2 and x<y"},
		},
		{
			name: "cue text running into the next timing line",
			in:   "WEBVTT\n\n00:00.000 --> 00:01.000\nfirst\n00:01.000 --> 00:02.000\nsecond\n",
			want: []string{"0 first", "1 second"},
		},
		{
			name: "sound descriptions are dropped",
			in:   "WEBVTT\n\n00:00.000 --> 00:01.000\n[Music]\n\n00:01.000 --> 00:02.000\n[Applause] thank you [laughs]\n",
			want: []string{"1 thank you"},
		},
		{
			name:    "times past 24 hours",
			in:      "WEBVTT\n\n26:00:00.000 --> 26:00:01.000\nLate.\n",
			wantErr: "transcript is 26h0m long; the limit is 6h0m",
		},
		{
			name:    "bad timing names the line",
			file:    "talk.vtt",
			in:      "WEBVTT\n\n00:00.000 --> 00:01.000\nOne.\n\n00:00:07.000 --> 00:00:1d.890\nTwo.\n",
			wantErr: `talk.vtt: line 6: bad timing "00:00:07.000 --> 00:00:1d.890"`,
		},
		{
			name:    "seconds over 59",
			file:    "talk.vtt",
			in:      "WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nOne.\n",
			wantErr: `talk.vtt: line 3: bad timing`,
		},
		{
			name:    "missing signature in a .vtt file",
			file:    "broken.vtt",
			in:      "\nBROKENVTT\n",
			wantErr: "broken.vtt: line 1: missing the WEBVTT header",
		},
		{
			name:    "bad signature",
			file:    "broken.vtt",
			in:      "WEBVTTX\n\n00:00.000 --> 00:01.000\nOne.\n",
			wantErr: `broken.vtt: line 1: missing the WEBVTT header; found "WEBVTTX"`,
		},
		{
			name:    "header and no cues",
			file:    "empty.vtt",
			in:      "WEBVTT\n\nNOTE nothing here\n",
			wantErr: "empty.vtt: no transcript text found in this WebVTT file",
		},
		{
			name: "header-less VTT read as cues",
			file: "noheader.vtt",
			in:   "00:00:01.000 --> 00:00:02.000\nHello.\n",
			want: []string{"1 Hello."},
		},
	})
}

// utf16Bytes encodes s as UTF-16 with a byte order mark.
func utf16Bytes(s string, bigEndian bool) string {
	var b []byte
	if bigEndian {
		b = []byte{0xFE, 0xFF}
	} else {
		b = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

func TestParseEncodings(t *testing.T) {
	t.Parallel()
	doc := "WEBVTT\n\n00:00.000 --> 00:01.000\nGrüße, naïve café.\n"
	runParseCases(t, []parseCase{
		{name: "UTF-16 LE", in: utf16Bytes(doc, false), want: []string{"0 Grüße, naïve café."}},
		{name: "UTF-16 BE", in: utf16Bytes(doc, true), want: []string{"0 Grüße, naïve café."}},
		{name: "UTF-16 LE without a mark", in: utf16Bytes(doc, false)[2:], want: []string{"0 Grüße, naïve café."}},
		{name: "UTF-8 mark", in: "\uFEFF" + doc, want: []string{"0 Grüße, naïve café."}},
		{name: "CRLF", in: strings.ReplaceAll(doc, "\n", "\r\n"), want: []string{"0 Grüße, naïve café."}},
		{name: "bare CR", in: strings.ReplaceAll(doc, "\n", "\r"), want: []string{"0 Grüße, naïve café."}},
		{
			name: "Windows-1252",
			file: "old.srt",
			in:   "1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9 \x93quoted\x94 \x96 dash\n",
			want: []string{"1 Café “quoted” – dash"},
		},
	})
}

func TestParseSRT(t *testing.T) {
	t.Parallel()
	bad := "1\n00:00:01,000 --> 00:00:02,000\nOne.\n\n2\n00:00:03,000 --> 00:00:04,000\nTwo.\n\n3\n00:00:05,000 --> 00:00:06,000\nThree.\n\n4\n00:00:07,000 --> 00:00:08,000\nFour.\n\n00:01:xx --> 00:01:02,000\nFive.\n"
	runParseCases(t, []parseCase{
		{
			name: "CRLF and multi-line cues",
			in:   "1\r\n00:00:00,500 --> 00:00:02,000\r\nfirst line\r\nsecond line\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000\r\nnext\r\n",
			want: []string{"0.5 first line second line", "2 next"},
		},
		{
			name: "missing numbers",
			in:   "00:00:01,000 --> 00:00:02,000\nOne.\n\n00:00:03,000 --> 00:00:04,000\nTwo.\n",
			want: []string{"1 One.", "3 Two."},
		},
		{
			name: "sloppy numbers and a blank line inside a cue",
			in:   "7\n00:00:01,000 --> 00:00:02,000\nOne.\n\nstill one.\n\n7\n00:00:03,000 --> 00:00:04,000\nTwo.\n\n\n",
			want: []string{"1 One. still one.", "3 Two."},
		},
		{
			name: "dot or comma before milliseconds, coordinates after the timing",
			in:   "1\n00:00:01.250 --> 00:00:02,000 X1:40 X2:600 Y1:20 Y2:50\nOne.\n",
			want: []string{"1.25 One."},
		},
		{
			name: "font and italic tags, ASS overrides",
			in:   "1\n00:00:01,000 --> 00:00:02,000\n<font color=\"#00ff00\">{\\an8}<i>Green</i></font> <b>bold</b>\n",
			want: []string{"1 Green bold"},
		},
		{
			name: "speaker labels at speaker changes",
			in: "1\n00:00:01,000 --> 00:00:02,000\nTravis: When you\nfirst start,\n\n2\n00:00:02,000 --> 00:00:03,000\nit is hard.\n\n" +
				"3\n00:00:03,000 --> 00:00:04,000\nSarah: True.\n\n4\n00:00:04,000 --> 00:00:05,000\nTravis: Yes.\n\n5\n00:00:05,000 --> 00:00:06,000\nSarah: Note: one label is not enough.\n",
			want: []string{"1 Travis: When you first start,", "2 Travis: it is hard.", "3 Sarah: True.", "4 Travis: Yes.", "5 Sarah: Note: one label is not enough."},
		},
		{
			name: "an empty cue",
			in:   "1\n00:00:01,000 --> 00:00:02,000\n\n\n2\n00:00:03,000 --> 00:00:04,000\nTwo.\n",
			want: []string{"3 Two."},
		},
		{
			name: "cues out of order are sorted",
			in:   "1\n00:00:05,000 --> 00:00:06,000\nLater.\n\n2\n00:00:01,000 --> 00:00:02,000\nEarlier.\n",
			want: []string{"1 Earlier.", "5 Later."},
		},
		{
			name:    "bad timing names the line",
			file:    "subtitles.srt",
			in:      bad,
			wantErr: `subtitles.srt: line 17: bad timing "00:01:xx --> 00:01:02,000"`,
		},
		{
			name:    "an .srt file without cues",
			file:    "notes.srt",
			in:      "just some words\n",
			wantErr: "notes.srt: no subtitle cues found",
		},
		{
			name:    "an empty file",
			file:    "empty.srt",
			in:      " \n\n",
			wantErr: "empty.srt: the file is empty",
		},
	})
}

func TestParsePodcastJSON(t *testing.T) {
	t.Parallel()
	seg := func(speaker string, start, end float64, body string) string {
		return fmt.Sprintf(`{"speaker":%q,"startTime":%v,"endTime":%v,"body":%q}`, speaker, start, end, body)
	}
	doc := func(segs ...string) string {
		return `{"version":"1.0.0","segments":[` + strings.Join(segs, ",") + `]}`
	}
	runParseCases(t, []parseCase{
		{
			name: "words merged until a sentence ends or the speaker changes",
			in: doc(seg("Ann", 0.5, 0.75, "I"), seg("Ann", 1, 1.25, "am"), seg("Ann", 1.5, 2, "here."),
				seg("Ann", 2.1, 2.3, "Really"), seg("Bob", 2.75, 3, "No")),
			want: []string{"0.5 Ann: I am here.", "2.1 Ann: Really", "2.75 Bob: No"},
		},
		{
			name: "a pause ends a unit",
			in:   doc(seg("Ann", 0, 1, "before"), seg("Ann", 4, 5, "after")),
			want: []string{"0 Ann: before", "4 Ann: after"},
		},
		{
			name: "a long run is cut at about fifteen seconds",
			in: doc(seg("", 0, 5, "one"), seg("", 5, 10, "two"), seg("", 10, 14, "three"),
				seg("", 14, 18, "four"), seg("", 18, 20, "five")),
			want: []string{"0 one two three", "14 four five"},
		},
		{
			name: "times as strings and a missing end",
			in:   `{"version":"1.0.0","segments":[{"speaker":"A","startTime":"1.5","body":"Hi."},{"startTime":"00:01:02.5","body":"Later."}]}`,
			want: []string{"1.5 A: Hi.", "62.5 Later."},
		},
		{
			name: "entities in bodies",
			in:   doc(seg("", 0, 1, "Q&amp;A.")),
			want: []string{"0 Q&A."},
		},
		{
			name:    "a segment without a start",
			file:    "t.json",
			in:      `{"segments":[{"body":"x"}]}`,
			wantErr: "t.json: segment 1 has no startTime",
		},
		{
			name:    "a chapters file",
			file:    "chapters.json",
			in:      `{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"}]}`,
			wantErr: "chapters.json: this is a chapters file, not a transcript",
		},
		{
			name:    "broken JSON names the line",
			file:    "t.json",
			in:      "{\n\"segments\": [\n{\"startTime\": 1,, \"body\": \"x\"}\n]}",
			wantErr: "t.json: line 3: bad JSON:",
		},
		{
			name:    "a bad time",
			file:    "t.json",
			in:      `{"segments":[{"startTime":"soon","body":"x"}]}`,
			wantErr: "t.json: line 1: bad JSON:",
		},
		{
			name:    "no text",
			file:    "t.json",
			in:      `{"version":"1.0.0","segments":[]}`,
			wantErr: "t.json: no transcript text found",
		},
	})
}

func TestParseHTML(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{
			name: "podcast namespace form",
			in: "<cite>Travis:</cite>\n<time>0:00</time>\n<p>When you start, it&#39;s hard. So listen.</p>\n" +
				"<cite>Sarah:</cite>\n<time>1:04</time>\n<p>Good audio matters.</p>\n",
			want: []string{"0 Travis: When you start, it's hard.", "0 Travis: So listen.", "64 Sarah: Good audio matters."},
		},
		{
			name: "a full page with title, scripts and chapters",
			in: "<!DOCTYPE html><html><head><title>Episode 5</title><style>p{}</style></head><body>" +
				"<script>var x = '<p>no</p>';</script><h2>Intro</h2><time>0:05</time><p>Hello there.</p>" +
				"<h2>Main part</h2><time>1:02:03</time><p>Now the news.</p></body></html>",
			want: []string{"5 Hello there.", "3723 Now the news."},
			check: func(t *testing.T, tr *recap.Transcript) {
				if tr.Source.Title != "Episode 5" {
					t.Errorf("title %q", tr.Source.Title)
				}
				want := []recap.Chapter{{Title: "Intro", Start: 5}, {Title: "Main part", Start: 3723}}
				if fmt.Sprint(tr.Chapters) != fmt.Sprint(want) {
					t.Errorf("chapters %v, want %v", tr.Chapters, want)
				}
			},
		},
		{
			name: "no times",
			in:   "<html><body><p>First point. Second point.</p><div>Third.</div></body></html>",
			want: []string{"- First point.", "- Second point.", "- Third."},
			check: func(t *testing.T, tr *recap.Transcript) {
				if tr.Source.Captions != recap.CaptionsNone {
					t.Errorf("captions %q", tr.Source.Captions)
				}
			},
		},
		{
			name: "an element left open keeps its text",
			in:   "<p><cite>Ann: Hello there.<p>More.",
			want: []string{"- Ann: Hello there.", "- More."},
		},
		{
			name:    "no text",
			file:    "t.html",
			in:      "<html><body><script>x</script></body></html>",
			wantErr: "t.html: no transcript text found in this HTML file",
		},
	})
}

func TestParseText(t *testing.T) {
	t.Parallel()
	runParseCases(t, []parseCase{
		{
			name: "untimed prose split into sentences",
			in:   "Dr. Smith paid $3.50 for it, e.g. at the U.S. border. Then... he left! Did he?\n\nA new paragraph",
			want: []string{"- Dr. Smith paid $3.50 for it, e.g. at the U.S. border.", "- Then... he left!", "- Did he?", "- A new paragraph"},
			check: func(t *testing.T, tr *recap.Transcript) {
				if tr.Source.Captions != recap.CaptionsNone || tr.Timed() {
					t.Errorf("captions %q, timed %v", tr.Source.Captions, tr.Timed())
				}
			},
		},
		{
			name: "speaker turns with times, headings and front matter",
			in: "---\ntitle: 'It''s a title'\nspeakers:\n  - Ann\n---\n## Intro\n\nAnn Lee: 00:00:20\n\nHello there. How are you?\n\n" +
				"Bob: 00:00:28\n\nFine.\n\n## Main part\n\nAnn Lee: 00:01:05\n\nGood.\n",
			want: []string{"20 Ann Lee: Hello there.", "20 Ann Lee: How are you?", "28 Bob: Fine.", "65 Ann Lee: Good."},
			check: func(t *testing.T, tr *recap.Transcript) {
				if tr.Source.Title != "It's a title" {
					t.Errorf("title %q", tr.Source.Title)
				}
				want := []recap.Chapter{{Title: "Intro", Start: 20}, {Title: "Main part", Start: 65}}
				if fmt.Sprint(tr.Chapters) != fmt.Sprint(want) {
					t.Errorf("chapters %v, want %v", tr.Chapters, want)
				}
			},
		},
		{
			name: "bold Markdown labels with escaped bracketed times",
			in:   "**Ann Lee:** Hello. Hi.\n\n**Bob:** \\[08:31\\] Context first.\n\n**Ann Lee:** Sure.\n\n**Bob:** \\[12:06\\] Yes.\n",
			want: []string{"510.2 Ann Lee: Hello.", "510.6 Ann Lee: Hi.", "511 Bob: Context first.", "511 Ann Lee: Sure.", "726 Bob: Yes."},
		},
		{
			name: "Markdown links read as their text, images go",
			in:   "Ann: 00:00:01\n\nAnd you [proposed package relay](https://example.org/list/2022-May/020493.html). See ![a chart](img/fees.png) the [Wikipedia page](https://en.wikipedia.org/wiki/Fee_(disambiguation)) too.\n\nBob: 00:00:09\n\nYes.\n",
			want: []string{"1 Ann: And you proposed package relay.", "1 Ann: See the Wikipedia page too.", "9 Bob: Yes."},
		},
		{
			name: "Markdown emphasis and code read without their marks",
			in:   "Ann: 00:00:01\n\nThe `submitpackage` RPC is **really** new, and _who_ pays is the _open question_. Keep snake_case_name and 2 * 3 * 4 as they are.\n\nBob: 00:00:09\n\nYes.\n",
			want: []string{"1 Ann: The submitpackage RPC is really new, and who pays is the open question.", "1 Ann: Keep snake_case_name and 2 * 3 * 4 as they are.", "9 Bob: Yes."},
		},
		{
			name: "bracketed times",
			in:   "[00:12] First thing. Second.\n[01:02:03] Third.\n",
			want: []string{"12 First thing.", "12 Second.", "3723 Third."},
		},
		{
			name: "parenthesised times with speakers",
			in:   "(0:05) Ann: Hi.\n(12:34) Bob: Hello.\n",
			want: []string{"5 Ann: Hi.", "754 Bob: Hello."},
		},
		{
			name: "bare times at line starts",
			in:   "00:00:01 one\n00:00:04 - two\n",
			want: []string{"1 one", "4 two"},
		},
		{
			name: "YouTube transcript panel copy",
			in:   "0:00\nwelcome back everyone\n0:03\ntoday we look at parsers\n1:15:00\nthanks for watching\n",
			want: []string{"0 welcome back everyone", "3 today we look at parsers", "4500 thanks for watching"},
		},
		{
			// Placed back from the first time at 150 words a minute.
			name: "text before the first time comes before it",
			in:   "Intro words.\n[00:10] Later words.\n[00:20] End.\n",
			want: []string{"9.2 Intro words.", "10 Later words.", "20 End."},
		},
		{
			// A long opening before a first stamp (as in transcripts
			// stamped every few minutes) starts at 0:00, not at the stamp.
			name: "a long opening before the first time starts at zero",
			in:   strings.Repeat("Opening words said before any stamp. ", 6) + "\n[00:05] Later.\n[00:30] End.\n",
			want: []string{"0 Opening words said before any stamp.", "0 Opening words said before any stamp.", "0 Opening words said before any stamp.",
				"0 Opening words said before any stamp.", "0.2 Opening words said before any stamp.", "2.6 Opening words said before any stamp.", "5 Later.", "30 End."},
		},
		{
			name: "one time alone is not a timed transcript",
			in:   "At 10:30 we met.\n10:45 was when it ended.\n",
			want: []string{"- At 10:30 we met.", "- 10:45 was when it ended."},
		},
		{
			name: "untimed headings stay as text",
			in:   "# Notes\n\n## Part one\nWords here.\n",
			want: []string{"- Part one", "- Words here."},
			check: func(t *testing.T, tr *recap.Transcript) {
				if tr.Source.Title != "Notes" {
					t.Errorf("title %q", tr.Source.Title)
				}
			},
		},
		{
			name:    "only front matter",
			file:    "t.md",
			in:      "---\ntitle: x\n---\n\n",
			wantErr: "t.md: no transcript text found in this plain text file",
		},
	})
}

func TestSplitSentences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"simple", "One. Two! Three? Four", []string{"One.", "Two!", "Three?", "Four"}},
		{"titles", "Mr. and Mrs. Smith met Prof. Jones. Then they left.", []string{"Mr. and Mrs. Smith met Prof. Jones.", "Then they left."}},
		{"dotted abbreviations", "Use tools, e.g. Go. Or i.e. Rust.", []string{"Use tools, e.g. Go.", "Or i.e. Rust."}},
		{"initials", "J. R. R. Tolkien wrote it. Yes.", []string{"J. R. R. Tolkien wrote it.", "Yes."}},
		{"decimals", "Pi is 3.14 or so. Right.", []string{"Pi is 3.14 or so.", "Right."}},
		{"ellipsis before lower case", "Well... maybe. Sure.", []string{"Well... maybe.", "Sure."}},
		{"closing quotes", `He said "stop." Then he went.`, []string{`He said "stop."`, "Then he went."}},
		{"lower case after a stop", "version 1. then 2.", []string{"version 1. then 2."}},
		{"numbers start sentences", "It ended. 2024 was next.", []string{"It ended.", "2024 was next."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := splitSentences(tc.in)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, in string
		want           format
	}{
		{"vtt by content", "x.txt", "WEBVTT\n", formatVTT},
		{"srt by content", "x.txt", "1\n00:00:01,000 --> 00:00:02,000\nx\n", formatSRT},
		{"json by content", "x.txt", ` {"segments":[]}`, formatJSON},
		{"html by content", "x.txt", "<!doctype html><p>x</p>", formatHTML},
		{"html by extension", "x.html", "just text", formatHTML},
		{"text", "x.md", "# Title\n\nWords.", formatText},
		{"text without a name", "-", "Words -> more words.", formatText},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := detectFormat(tc.file, tc.in)
			if err != nil || got != tc.want {
				t.Errorf("got %v, %v; want %v", formatNames[got], err, formatNames[tc.want])
			}
		})
	}
}
