package summarize

import (
	"math"
	"sort"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// Titles.
//
// A topic's title is made of the keyphrases most distinctive for the
// topic (see titleCandidates), preferring phrases of two to four words
// ("address relay", "Python Packaging Authority") that read as a noun
// phrase: a title phrase neither starts with a verb nor ends on a verb,
// an adjective or an adverb. A single word gives way to a longer phrase
// holding it when one scores at least a quarter as well. A second phrase
// joins the first ("Public key and DNS records") when it scores at least
// half as well, and a single word always gets one, so a title is never
// one word nor two single words joined by "and". Titles are in sentence
// case: a capital first letter, names and acronyms as the speakers write
// them. No two topics share a title, and a phrase whose words all appear
// in an earlier title is passed over.

// topicTitle names units [from, to] (not yet capitalized), or returns ""
// when no phrase is distinctive enough. taken holds the stems of earlier titles and is
// updated.
func (x *phraseIndex) topicTitle(a *analysis, from, to, totalTerms int, taken map[string]bool) string {
	cands := x.titleCandidates(a, from, to, totalTerms)
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].p.key < cands[j].p.key
	})
	for k, c := range cands {
		if !fresh(c.p.key, taken) {
			continue
		}
		best := c.p
		if c.p.n == 1 {
			best = x.widen(c, cands[k+1:], from, to, taken)
		}
		title := best.surface()
		mark(best.key, taken)
		second := pickSecond(best, c.score, cands[k+1:], taken)
		if second == nil && best.n == 1 {
			second = x.companion(best, from, to, taken)
		}
		if second != nil {
			title += " and " + second.surface()
			mark(second.key, taken)
		}
		return title
	}
	return ""
}

// secondShare is how well, against the first, a second phrase must score
// to join a title.
const secondShare = 0.5

// lonelyShare is secondShare for a title of a single word.
const lonelyShare = 0.1

// pickSecond returns a phrase to join the title first, or nil: the best
// remaining candidate scoring at least secondShare of the first's score,
// sharing no word with it, and such that the two are not both single
// words.
func pickSecond(first *phrase, score float64, rest []scored, taken map[string]bool) *phrase {
	share := secondShare
	if first.n == 1 {
		share = lonelyShare // a single word needs company more
	}
	for _, d := range rest {
		if d.score < score*share {
			return nil
		}
		if first.n == 1 && d.p.n == 1 || !fresh(d.p.key, taken) || overlaps(d.p.key, []string{first.key}) {
			continue
		}
		return d.p
	}
	return nil
}

// companion is the multi-word phrase the topic uses most, for a title
// that would otherwise be a single word, or nil.
func (x *phraseIndex) companion(word *phrase, from, to int, taken map[string]bool) *phrase {
	var best *phrase
	bestN := 0
	for _, p := range x.list {
		if p.n == 1 {
			continue
		}
		if n := p.countIn(from, to); n > bestN && nounLike(p) && fresh(p.key, taken) && !overlaps(p.key, []string{word.key}) {
			best, bestN = p, n
		}
	}
	return best
}

func mark(key string, taken map[string]bool) {
	for _, s := range strings.Fields(key) {
		taken[s] = true
	}
	taken["\x00"+key] = true
}

// widen returns a longer phrase that holds the single word of c and
// names the topic about as well: a candidate scoring at least a quarter
// as well, else the phrase holding the word that the topic uses most (at
// least twice, and at least a fifth as often as the word). It returns c's
// phrase when there is none.
func (x *phraseIndex) widen(c scored, rest []scored, from, to int, taken map[string]bool) *phrase {
	for _, d := range rest {
		if d.score < c.score/4 {
			break
		}
		if d.p.n > 1 && fresh(d.p.key, taken) && containsStem(d.p.key, c.p.key) {
			return d.p
		}
	}
	word := c.p.countIn(from, to)
	best, bestN := c.p, max(2, (word+4)/5)-1
	for _, p := range x.list {
		if p.n == 1 || !containsStem(p.key, c.p.key) {
			continue
		}
		n := p.countIn(from, to)
		if n > bestN || n == bestN && best != c.p && p.n > best.n {
			if nounLike(p) && fresh(p.key, taken) {
				best, bestN = p, n
			}
		}
	}
	return best
}

// titleCandidates scores the noun-like phrases of units [from, to] by
// how distinctive they are for them: occurrences inside times the log of
// the ratio of their rate inside to their rate outside, favouring longer
// phrases and phrases met early in the topic.
func (x *phraseIndex) titleCandidates(a *analysis, from, to, totalTerms int) []scored {
	in := 0
	for i := from; i <= to; i++ {
		in += len(a.terms[i])
	}
	out := totalTerms - in
	minCount := 2
	if in < 60 {
		minCount = 1
	}
	var cands []scored
	for _, p := range x.list {
		cin := p.countIn(from, to)
		if cin < minCount || !nounLike(p) {
			continue
		}
		cout := len(p.units) - cin
		ratio := (float64(cin) / float64(in+1)) / ((float64(cout) + 0.5) / float64(out+1))
		if ratio <= 1 {
			continue
		}
		first := sort.Search(len(p.units), func(k int) bool { return int(p.units[k]) >= from })
		pos := 1 + titlePosWeight*(1-float64(int(p.units[first])-from)/float64(to-from+1))
		boost := 1.0
		if p.n > 1 {
			boost = titleMultiBoost
		}
		score := math.Pow(float64(cin), titleCountExp) * math.Pow(math.Log(1+ratio), titleRatioExp) * math.Pow(float64(len(p.units)), titleGlobalExp) * boost * pos
		if p.capital*2 >= len(p.units) {
			score *= titleNameBoost // a name
		}
		cands = append(cands, scored{p, score})
	}
	return cands
}

// Weights of a title candidate's score, chosen on the development set
// of 67 talks (docs/quality.md): occurrences in the topic to the power
// titleCountExp, the log rate ratio to titleRatioExp, occurrences in the
// whole transcript to titleGlobalExp (headings name the subject of the
// talk as often as a detail), times titleMultiBoost for a phrase of
// several words, titleNameBoost for a name, and up to 1+titlePosWeight
// for a phrase met at the very start of the topic, where it is
// introduced.
const (
	titleCountExp   = 0.5
	titleRatioExp   = 0.25
	titleGlobalExp  = 0.25
	titleMultiBoost = 1.5
	titleNameBoost  = 1.5
	titlePosWeight  = 3
)

// fresh reports whether a phrase may still title a topic: not an earlier
// title, and not made only of words of earlier titles.
func fresh(key string, taken map[string]bool) bool {
	if taken["\x00"+key] {
		return false
	}
	for _, s := range strings.Fields(key) {
		if s != "of" && !taken[s] {
			return true
		}
	}
	return false
}

func containsStem(key, stem string) bool {
	for _, s := range strings.Fields(key) {
		if s == stem {
			return true
		}
	}
	return false
}

// nounLike reports whether a phrase can be read as a noun phrase: its
// first word is not a verb or an adverb, and its last word is not a verb,
// an adjective, an adverb or a lower-case past participle.
func nounLike(p *phrase) bool {
	if p.noun == 0 {
		p.noun = -1
		if readsAsNoun(p.surface()) {
			p.noun = 1
		}
	}
	return p.noun > 0
}

func readsAsNoun(surface string) bool {
	words := strings.Fields(surface)
	if len(words) == 0 {
		return false
	}
	first := strings.ToLower(words[0])
	last := strings.ToLower(words[len(words)-1])
	if isVerb(first) || isAdverb(first) {
		return false
	}
	if isVerb(last) || isAdverb(last) || isAdjective(last) {
		return false
	}
	if strings.HasSuffix(words[len(words)-1], "ed") && last == words[len(words)-1] {
		return false
	}
	return true
}

func isAdverb(w string) bool {
	return strings.HasSuffix(w, "ly") && len(w) > 4 && !nounsInLy[w]
}

var nounsInLy = map[string]bool{"family": true, "assembly": true, "supply": true, "reply": true, "anomaly": true, "monopoly": true, "italy": true, "july": true, "rally": true, "ally": true}

func isVerb(w string) bool {
	_, ok := verbs[w]
	if !ok {
		_, ok = verbs[stem(w)]
	}
	return ok
}

func isAdjective(w string) bool {
	_, ok := adjectives[w]
	return ok
}

// verbs are common English verbs (base and irregular forms, and their
// stems) that are rarely the head of a noun phrase in a talk. Verbs that
// are also common technical nouns ("fork", "relay", "block", "release",
// "update") are left out.
var verbs = makeSet(`
accept achieve add admit affect agree allow appear apply argue arrive assume avoid
be become begin believe belong borrow bother break bring build buy
call care carry catch cause choose claim come compare complain concern consider contain continue convince count cover create cut
deal decide define depend describe deserve design destroy determine develop die disagree discover discuss do double drive drop
earn eat enable encourage end enjoy ensure enter establish exist expect experience explain explore express
fail fall feel fight figure fill find finish fit fix focus follow forget forgive form
gain gather get give go grab grow guess
handle hang hate have hear help hide hit hold hope hurt
identify ignore imagine implement improve include increase indicate influence inform intend introduce invite involve
join judge jump
keep kick kill know
last laugh lead learn leave let lie lift like listen live lose love
maintain manage matter mean measure meet mention mind miss move
need notice
obtain occur offer open operate own
pass pay perform pick place plan play point prefer prepare present pretend prevent produce promise prove provide publish pull push put
raise reach read realize receive recognize recommend reduce refer reflect refuse regard relate rely remain remember remind remove repeat replace report represent require respond rest result return reveal ride rise run
save say see seem sell send serve set settle share shoot show shut sit sleep solve sound speak spend stand stay stick stop struggle study succeed suffer suggest suppose surprise survive suspect
take talk teach tell tend thank think throw touch treat trust try turn
understand
visit
wait wake walk want warn wash watch wear win wish wonder worry write
ate became began bit broke brought built bought caught chose came did drew drove fed felt fell fought found flew forgot forgave froze gave went grew hung had heard hid held hurt kept knew laid led left lent lay lost made meant met paid put quit read rode rang rose ran said saw sought sold sent shook shot shut sang sank sat slept spoke spent stood stole stuck struck swore swept swam took taught tore told thought threw understood woke wore won wrote
been done gone known seen taken given written spoken broken chosen forgotten gotten driven eaten fallen hidden ridden risen shaken stolen sworn thrown woken worn
sync synced
`)

// adjectives are common adjectives that end no title ("Nodes and
// interested").
var adjectives = makeSet(`
able afraid alive legal technical economic political social financial personal practical theoretical physical
actual additional advanced ancient annual apparent appropriate available average basic central chief civil classic aware bad beautiful bigger broad busy careful cheap clean clear close cold comfortable common correct crazy curious
dangerous dark dead deep difficult dumb early easier easy effective empty enough entire equal exact excited expensive extra fair familiar
famous fancy fast fat final fine free fresh friendly full funny glad happy harder heavy helpful high higher honest hot
impossible independent inherent interested interesting large late likely live long loose lower low lucky mad massive mere narrow natural
necessary nervous normal obvious odd official okay old original perfect plain pleasant poor popular positive possible powerful preferential
pretty previous private proper proud quick quiet rare ready recent relevant responsible rich rough sad safe scared secure serious sharp
short sick significant silly slow smart soft solid sorry special stable standard strange strict strong stupid successful sudden
super sure sweet tall terrible thick thin tiny tired tough typical ugly unclear unique unlikely unusual upset useful useless usual valid
weak weird whole wide wild willing wise wonderful worse worst wrong young
`)

// recapTitle names a recap whose source has no title of its own from its
// keywords (best first): the first keyphrase of several words among the
// first three, else the first keyword joined by "and" to the next one
// of several words, else the title of its longest topic, else the first
// keyword alone.
func recapTitle(keywords []string, topics []recap.Topic) string {
	for _, k := range keywords[:min(3, len(keywords))] {
		if strings.Contains(k, " ") {
			return capitalize(k)
		}
	}
	if len(keywords) == 0 {
		return ""
	}
	for _, k := range keywords[1:] {
		if strings.Contains(k, " ") {
			return capitalize(keywords[0] + " and " + k)
		}
	}
	longest, title := -1, ""
	for _, t := range topics {
		if n := t.EndUnit - t.StartUnit; n > longest && strings.Contains(t.Title, " ") {
			longest, title = n, t.Title
		}
	}
	if title != "" {
		return title
	}
	return capitalize(keywords[0])
}

// introTitle is the title of a recap's first topic when it is the
// opening of a show or a talk: it starts with a greeting or an
// introduction of the speakers in its first few units ("welcome to",
// "joining me today"). People title such a part "Introduction".
func introTitle(a *analysis, from, to int, title string) string {
	if from != 0 {
		return title
	}
	for i := from; i <= min(to, from+6); i++ {
		if containsAny(strings.ToLower(a.units[i].Text), greetingCues) {
			if title == "" {
				return "Introduction"
			}
			// Of a title of two phrases, the longer one.
			part := ""
			for _, p := range strings.Split(title, " and ") {
				if len(strings.Fields(p)) > len(strings.Fields(part)) {
					part = p
				}
			}
			return "Introduction and " + part
		}
	}
	return title
}

// greetingCues open a show, a talk or a panel.
var greetingCues = []string{
	"welcome to", "welcome back", "welcome everyone", "welcome, everyone", "hello everyone", "hello, everyone",
	"hi everyone", "hi, everyone", "good morning", "good afternoon", "good evening", "joining me", "joining us",
	"my name is", "i'm your host", "today's guest", "our guest", "thanks for having me", "thank you for having me",
	"introduce yourself", "welcome to the show", "welcome to the podcast", "this episode", "in this episode",
}
