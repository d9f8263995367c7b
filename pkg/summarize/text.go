package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a unit as the builtin engine sees it.
type token struct {
	surface string // the word as written, without surrounding punctuation
	stem    string // lower-cased, lightly stemmed form used for matching
	stop    bool   // a stopword, filler or number: never a keyword on its own
	brk     bool   // punctuation separates this token from the previous one
}

// tokenize splits text into words: runs of letters and digits, with
// apostrophes and hyphens kept inside a word. Punctuation between words
// marks a phrase break so keyphrases never span it. Tags in square or
// curly brackets ("[Music]", "{vocalsound}") are skipped.
func tokenize(text string, out []token) []token {
	brk := true
	depth := 0
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '[' || r == '{':
			depth++
		case (r == ']' || r == '}') && depth > 0:
			depth--
		}
		if depth > 0 || !isWordRune(r) {
			if !unicode.IsSpace(r) {
				brk = true
			}
			i += size
			continue
		}
		start := i
		i = wordEnd(text, i)
		word := text[start:i]
		lower := strings.ToLower(word)
		lower = strings.TrimSuffix(strings.TrimSuffix(lower, "'s"), "’s")
		if lower == "" {
			continue
		}
		out = append(out, token{
			surface: word,
			stem:    stem(lower),
			stop:    isStopword(lower) || !hasLetter(lower) || utf8.RuneCountInString(lower) < 2,
			brk:     brk,
		})
		brk = false
	}
	return out
}

// wordEnd returns the end of the word starting at i: a run of letters
// and digits, with an apostrophe, hyphen or underscore kept when a
// letter or digit follows it ("don't", "peer-to-peer", "OP_RETURN").
func wordEnd(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isWordRune(r) {
			i += size
			continue
		}
		if (r == '\'' || r == '’' || r == '-' || r == '_') && i+size < len(text) {
			next, _ := utf8.DecodeRuneInString(text[i+size:])
			if isWordRune(next) {
				i += size
				continue
			}
		}
		break
	}
	return i
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// stem reduces an English word to a matching key with a handful of suffix
// rules: plurals, -ing, -ed, -ly and a few derivational endings. It is
// deliberately light: words only need to meet their own variants.
func stem(w string) string {
	s := stemSuffix(w)
	if len(s) > 4 && s[len(s)-1] == 'e' && isASCII(s) {
		// "relate", "relating" and "relation" meet at "relat".
		s = s[:len(s)-1]
	}
	return s
}

// suffixRule rewrites a word ending in suffix and longer than longer
// bytes: strip bytes go, add is appended, and with undo a doubled final
// consonant is undone ("stopp" → "stop"). A rule with strip 0 keeps the
// word as it is ("'t", "-ss").
type suffixRule struct {
	suffix string
	longer int
	strip  int
	add    string
	undo   bool
	before string // when set, the byte before the suffix must be one of these
}

// suffixRules are tried in order; the first that applies wins.
var suffixRules = []suffixRule{
	{suffix: "'t"},
	{suffix: "ational", longer: 8, strip: 7, add: "ate"},
	{suffix: "ization", longer: 8, strip: 7, add: "ize"},
	{suffix: "ations", longer: 7, strip: 6, add: "ate"},
	{suffix: "ation", longer: 6, strip: 5, add: "ate"},
	{suffix: "iveness", longer: 8, strip: 4},
	{suffix: "fulness", longer: 8, strip: 4},
	{suffix: "ness", longer: 6, strip: 4},
	{suffix: "ments", longer: 7, strip: 5},
	{suffix: "ment", longer: 6, strip: 4},
	{suffix: "ies", longer: 4, strip: 3, add: "y"},
	{suffix: "sses", strip: 2},
	{suffix: "ing", longer: 5, strip: 3, undo: true},
	{suffix: "ied", longer: 4, strip: 3, add: "y"},
	{suffix: "eed"},
	{suffix: "ed", longer: 4, strip: 2, undo: true},
	{suffix: "ly", longer: 5, strip: 2},
	{suffix: "es", longer: 4, strip: 2, before: "sxz"},
	{suffix: "ss"},
	{suffix: "us"},
	{suffix: "is"},
	{suffix: "s", strip: 1},
}

func stemSuffix(w string) string {
	n := len(w)
	if n <= 3 || !isASCII(w) {
		return w
	}
	for _, r := range suffixRules {
		if n <= r.longer || !strings.HasSuffix(w, r.suffix) {
			continue
		}
		if r.before != "" && !strings.ContainsRune(r.before, rune(w[n-len(r.suffix)-1])) {
			continue
		}
		s := w[:n-r.strip]
		if r.undo {
			s = undouble(s)
		}
		return s + r.add
	}
	return w
}

// undouble turns "runn" (from "running") into "run", so "stopped",
// "stopping" and "stop" meet.
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) && !strings.ContainsRune("aeiou", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isStopword(w string) bool {
	_, ok := stopwords[w]
	return ok
}

// stopwords are English function words, spoken fillers and the verbs and
// nouns that carry no topic in conversation ("thing", "going", "people").
var stopwords = makeSet(`
a about above across actually after afterwards again against ago ah ahead all almost alone along already also although always am among amongst an and
another any anybody anyhow anyone anything anyway anyways anywhere are aren't around as aside ask asked asking at away awesome
b back basically be became because become becomes becoming been before beforehand behind being below beside besides best better between beyond big bit both but by
c came can can't cannot certainly could couldn't course
d did didn't different do does doesn't doing don't done down during
e each eh either else elsewhere end enough er especially etc even ever every everybody everyone everything everywhere exactly example
f far few fine first five for four from further
g gave get gets getting give given gives giving go goes going gone gonna good got gotta great guess guy guys
h had hadn't half happen happened happens has hasn't have haven't having he he'd he'll he's hello her here here's hers herself hey hi him himself his hmm how however huh
i i'd i'll i'm i've ie if important in indeed instead interesting into is isn't it it'd it'll it's its itself
j just
k keep kind knew know known knows
l large last later least less let let's like likely little look looked looking lot lots
m made make makes making many may maybe me mean means meant might mine more moreover most mostly mr mrs ms much must my myself
n n't name namely need needs neither never nevertheless new next nice nine no nobody none nor not nothing now nowhere
o of off often oh ok okay old on once one ones only onto or other others otherwise our ours ourselves out over own
p part particular particularly people per perhaps please point pretty probably put
q quite
r rather re really right
s said same saw say saying says second see seem seemed seeming seems seen sense set several shall she she'd she'll she's should shouldn't show side since six small so some somebody somehow someone something sometime sometimes somewhat somewhere soon sort sorry start started still stuff such sure
t take taken takes taking talk talked talking tell ten than thank thanks that that's the their theirs them themselves then there there's thereby therefore these they they'd they'll they're they've thing things think thinking third this those though thought three through throughout thus time times to today together too took toward towards tried tries true truly try trying turn two
u uh uhm um umm un under understand until up upon us use used uses using usually
v various very
w wanna want wanted wants was wasn't way ways we we'd we'll we're we've well went were weren't what what's whatever when whence whenever where where's whereas wherever whether which while who who's whoever whole whom whose why will with within without won't wonder work works would wouldn't
x y yeah yep yes yet you you'd you'll you're you've your yours yourself yourselves
z
mm mhm uh-huh hm wow whoa cool alright
bigger biggest smaller smallest huge entire real basic simple easy hard able certain specific general main major similar couple bunch instance kinda
wo ca gon na ll ve
et cetera slash bye goodbye
`)

func makeSet(words string) map[string]struct{} {
	set := make(map[string]struct{})
	for _, w := range strings.Fields(words) {
		set[w] = struct{}{}
	}
	return set
}

// fillerWords are words that, when a unit is made of nothing else, make
// it a backchannel or filler unit ("Yeah.", "Um, right, okay.").
var fillerWords = makeSet(`
um umm uh uhm uh-huh hmm hm mm mhm mm-hmm ah oh eh er yeah yep yes no nope okay ok right sure so well like
alright all cool wow whoa huh exactly absolutely totally definitely true indeed great nice good
i see thanks thank you got it and but laughs laughter music applause
`)

// sponsorCues start a sponsor or promotion span.
var sponsorCues = []string{
	"brought to you by", "sponsored by", "our sponsor", "today's sponsor", "this episode is supported by",
	"this video is supported by", "thanks to our sponsor", "a word from our sponsor", "promo code",
	"use code", "use the code", "discount code", "coupon code", "percent off your first", "% off your first",
	"free trial at", "head over to", "go to our sponsor",
}

// promoCues mark a single unit as promotion or channel housekeeping.
var promoCues = []string{
	"like and subscribe", "subscribe to the channel", "subscribe to our channel", "hit the bell",
	"smash that like", "hit that like", "link in the description", "links in the description",
	"in the show notes", "support us on patreon", "patreon.com", "leave a review", "leave us a review",
	"rate and review", "don't forget to subscribe", "subscribe to the show", "subscribe to the podcast",
	"wherever you get your podcasts", "wherever you listen to podcasts", "keep up with the show",
	"past episodes at", "live on youtube", "sign up for our newsletter", "become a patron",
}

// discourseCues at the start of a unit hint at a new topic.
var discourseCues = []string{
	"moving on", "let's talk about", "let's move on", "let's turn to", "next question", "next topic",
	"the next thing", "another thing", "now let's", "so now", "okay so", "ok so", "alright so", "all right so",
	"so the next", "first of all", "next up", "let's get into", "let's dive into", "let's switch",
	"changing topics", "on a different note", "speaking of", "to wrap up", "in conclusion", "finally",
}

func containsAny(lower string, cues []string) bool {
	for _, c := range cues {
		if strings.Contains(lower, c) {
			return true
		}
	}
	return false
}

func hasPrefixAny(lower string, cues []string) bool {
	for _, c := range cues {
		if strings.HasPrefix(lower, c) {
			return true
		}
	}
	return false
}

// isNonSpeech reports whether text is only bracketed tags such as
// "[Music]" or "(applause)" and punctuation.
func isNonSpeech(text string) bool {
	depth := 0
	for _, r := range text {
		switch r {
		case '[', '(', '{', '<', '♪':
			depth++
			continue
		case ']', ')', '}', '>':
			if depth > 0 {
				depth--
			}
			continue
		}
		if r == '♪' {
			continue
		}
		if depth == 0 && isWordRune(r) {
			return false
		}
	}
	return true
}

// isFiller reports whether a unit's tokens are all fillers or
// backchannels, or it is too short to say anything.
func isFiller(toks []token) bool {
	content := 0
	for _, t := range toks {
		if _, ok := fillerWords[strings.ToLower(t.surface)]; ok {
			continue
		}
		if !t.stop {
			content++
		}
	}
	return content == 0
}

// leadingFiller is how many bytes at the start of text are fillers
// ("Um, so, ") that a key point can drop while staying a verbatim part of
// the unit. It never returns the whole text.
func leadingFiller(text string) int {
	cut := 0
	for i := skipSeparators(text, 0); i < len(text); i = skipSeparators(text, i) {
		j := i
		for j < len(text) && text[j] != ' ' && text[j] != ',' {
			j++
		}
		if j == i || j >= len(text) || !fillerAt(text, i, j) {
			break
		}
		i = j
		cut = i
	}
	cut = skipSeparators(text, cut)
	if cut >= len(text) {
		return 0
	}
	return cut
}

// skipSeparators returns the first index from i on that is neither a
// space nor a comma.
func skipSeparators(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == ',') {
		i++
	}
	return i
}

// fillerAt reports whether text[i:j] is a word that may be dropped from
// the start of a key point: a filler, or before a comma a word such as
// "exactly" or "no" ("Exactly, and …", "No, just …").
func fillerAt(text string, i, j int) bool {
	word := strings.ToLower(strings.TrimRight(text[i:j], ".!?"))
	if _, ok := leadFillers[word]; ok {
		return true
	}
	if j < len(text) && text[j] == ',' {
		_, ok := commaFillers[word]
		return ok
	}
	return false
}

// commaFillers open a sentence as fillers only when a comma follows them
// ("No, just to say" but "No one knows").
var commaFillers = makeSet(`no exactly absolutely sure anyways anyway yep yup true totally definitely indeed now look listen see`)

var leadFillers = makeSet(`um umm uh uhm er ah oh so and but well yeah yes okay ok alright like basically right mm hmm mhm anyways`)
