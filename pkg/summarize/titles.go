package summarize

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// Titles.
//
// A topic's title is made of the keyphrases most likely to head the
// topic (see titleCandidates), preferring phrases of two to four words
// ("address relay", "Python Packaging Authority") that read as a noun
// phrase: a title phrase neither starts with a verb nor ends on a verb,
// an adjective or an adverb. A single word gives way to a longer phrase
// holding it when one scores at least a quarter as well, and otherwise
// always gets a second phrase of several words, so a title is never one
// word nor two single words joined by "and". A phrase of several words
// may stand alone or take a second phrase ("Public key and DNS records").
// Among the best few first phrases and the possible second phrases, the
// title is the one of the highest expected ROUGE-1 against the topic's
// candidates, each weighted by how likely it is to head the topic
// (minimum Bayes risk): a second phrase joins only when it is likely to
// name the topic too. Titles are in sentence case: a capital first
// letter, names and acronyms as the speakers write them. No two topics
// share a title, and a phrase whose words all appear in an earlier title
// is passed over, except the best phrase of a topic when it names the
// subject of the whole source ("Silent payments and light clients" after
// "Introduction and silent payments"): people head several sections
// with a talk's subject, but a phrase titles two topics at most and
// never alone.

// Title choice, fitted on the development set with `recap eval quality`
// (docs/quality.md).
const (
	titleOptions  = 5  // first phrases weighed against each other
	secondOptions = 10 // second phrases weighed for each first one
	riskPool      = 30 // best candidates that stand for the unknown heading
	riskTemper    = 2  // their weights are score^(1/riskTemper)
)

// topicTitle names units [from, to] (not yet capitalized), or returns ""
// when no phrase is distinctive enough. taken holds the stems of earlier
// titles and is updated.
func (x *phraseIndex) topicTitle(a *analysis, from, to, totalTerms int, taken map[string]bool) string {
	cands := x.titleCandidates(a, from, to, totalTerms)
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].p.key < cands[j].p.key
	})
	r := newTitleRisk(cands)
	var best titleOption
	n := 0
	for k, c := range cands {
		if n == titleOptions {
			break
		}
		reused := false
		if !fresh(c.p.key, taken) {
			// The topic's best phrase may title a second topic when it
			// names the source's subject.
			if k > 0 || !c.p.subject || taken["\x01"+c.p.key] {
				continue
			}
			reused = true
		}
		first := c.p
		if first.n == 1 && !reused {
			first = x.widen(c, cands[k+1:], from, to, taken)
		}
		o := r.bestSecond(first, cands, taken)
		if o.second == nil && first.n == 1 {
			o.second = x.companion(first, from, to, taken)
			o.gain = r.expect(first, o.second)
		}
		if reused && o.second == nil {
			continue
		}
		n++
		if best.first == nil || o.gain > best.gain {
			best = o
		}
	}
	if best.first == nil {
		return ""
	}
	title := best.first.surface()
	mark(best.first.key, taken)
	if best.second != nil {
		title += " and " + best.second.surface()
		mark(best.second.key, taken)
	}
	return title
}

// titleOption is a candidate title: a first phrase, an optional second
// one, and its expected ROUGE-1.
type titleOption struct {
	first, second *phrase
	gain          float64
}

// titleRisk weighs a title against a topic's best candidates, which
// stand for the human heading the title should match.
type titleRisk struct {
	pool   []*phrase
	weight []float64 // sums to 1
}

func newTitleRisk(cands []scored) *titleRisk {
	n := min(len(cands), riskPool)
	r := &titleRisk{pool: make([]*phrase, n), weight: make([]float64, n)}
	z := 0.0
	for i, c := range cands[:n] {
		r.pool[i] = c.p
		r.weight[i] = math.Pow(c.score/cands[0].score, 1.0/riskTemper)
		z += r.weight[i]
	}
	for i := range r.weight {
		r.weight[i] /= z
	}
	return r
}

// expect is the expected ROUGE-1 of the title first [and second].
func (r *titleRisk) expect(first, second *phrase) float64 {
	stems := first.contentStems()
	if second != nil {
		stems = append(stems[:len(stems):len(stems)], second.contentStems()...)
	}
	e := 0.0
	for i, p := range r.pool {
		e += r.weight[i] * rougeStems(stems, p.contentStems())
	}
	return e
}

// bestSecond returns the best title that starts with first: first alone
// when it has several words, or first joined by one of the best
// secondOptions candidates that share no word with it, are not earlier
// titles and do not make two single words.
func (r *titleRisk) bestSecond(first *phrase, cands []scored, taken map[string]bool) titleOption {
	best := titleOption{first: first, gain: math.Inf(-1)}
	if first.n > 1 {
		best.gain = r.expect(first, nil)
	}
	n := 0
	for _, d := range cands {
		if n == secondOptions {
			break
		}
		if d.p == first || first.n == 1 && d.p.n == 1 || !fresh(d.p.key, taken) || overlaps(d.p.key, []string{first.key}) {
			continue
		}
		n++
		if g := r.expect(first, d.p); g > best.gain {
			best.second, best.gain = d.p, g
		}
	}
	return best
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
		if n := p.countIn(from, to); n > bestN && x.titleable(p) && fresh(p.key, taken) && !overlaps(p.key, []string{word.key}) {
			best, bestN = p, n
		}
	}
	return best
}

func mark(key string, taken map[string]bool) {
	if taken["\x00"+key] {
		taken["\x01"+key] = true // titled a second topic
	}
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
	for _, p := range x.holding(c.p.key) {
		n := p.countIn(from, to)
		if n > bestN || n == bestN && best != c.p && p.n > best.n {
			if x.titleable(p) && fresh(p.key, taken) {
				best, bestN = p, n
			}
		}
	}
	return best
}

// titleCandidates scores the noun-like phrases of units [from, to] by
// how likely they are to be the topic's heading: exp of a weighted sum
// of the features below (titleFeatures), whose weights were fitted on
// the development set (docs/quality.md). A phrase must be met in the
// topic (twice in a topic of 60 terms or more) and be more frequent
// there than elsewhere, unless it names the subject of the whole source
// (a word of its title).
func (x *phraseIndex) titleCandidates(a *analysis, from, to, totalTerms int) []scored {
	var cands []scored
	x.eachTitleCandidate(a, from, to, totalTerms, func(p *phrase, f *titleFeatures) {
		score := 0.0
		for i, v := range f {
			score += titleWeights[i] * v
		}
		cands = append(cands, scored{p, math.Exp(score)})
	})
	return cands
}

// Features of a title candidate, indexes into titleFeatures.
const (
	tfCount        = iota // ln of its occurrences in the topic
	tfRatio               // ln ln(1+r), r its rate in the topic over its rate elsewhere
	tfGlobal              // ln of its occurrences in the whole transcript
	tfMulti               // 1 for a phrase of two words or more
	tfLong                // 1 for a phrase of three words or more
	tfPos                 // ln(1 + 3(1-d)), d where it is first met, 0 at the topic's start, 1 at its end
	tfName                // 1 when it is written with a capital mid-sentence at least half the time
	tfSubject             // 1 when it holds a word of the source's title
	tfOpening             // 1 when it is met in the first three units of the topic
	tfQuestion            // 1 when it is met in a question inside the topic
	tfNumber              // 1 when it holds a number
	tfSpread              // the share of the transcript's topics it is met in
	tfAcronym             // 1 when it holds a word in capitals ("UTXO", "BIP")
	tfBefore              // 1 when it is met in the three units before the topic
	tfCountMulti          // tfCount for a phrase of several words, else 0
	tfGeneric             // the share of its words that are vague nouns ("question", "years", "problem")
	tfNew                 // 1 when the transcript first meets it in the topic or the three units before
	tfEarlier             // ln(1 + its occurrences before the topic)
	tfLate                // the share of its occurrences in the topic that are in the topic's second half
	tfTurnQuestion        // 1 when a question opening a speaker's turn in the topic's first third holds it
	tfCue                 // 1 when the topic names it after "about", "what is", "called", "explain"...
	titleFeatureCount
)

type titleFeatures [titleFeatureCount]float64

// titleWeights are the weights of the title features, fitted by
// TestFitTitleWeights on the development set (RECAP_FIT_TITLES=1).
var titleWeights = titleFeatures{
	tfCount:        1.948,
	tfRatio:        1.713,
	tfGlobal:       1.366,
	tfMulti:        0.560,
	tfLong:         1.925,
	tfPos:          0.553,
	tfName:         0.290,
	tfSubject:      4.797,
	tfOpening:      1.780,
	tfQuestion:     0.800,
	tfNumber:       -0.283,
	tfSpread:       -0.601,
	tfAcronym:      1.248,
	tfBefore:       0.965,
	tfCountMulti:   0.931,
	tfGeneric:      -3,
	tfNew:          -1.312,
	tfEarlier:      -0.591,
	tfLate:         0.301,
	tfTurnQuestion: 1.295,
	tfCue:          2.723,
}

// eachTitleCandidate calls fn with every title candidate of units
// [from, to] and its features.
func (x *phraseIndex) eachTitleCandidate(a *analysis, from, to, totalTerms int, fn func(*phrase, *titleFeatures)) {
	in := 0
	for i := from; i <= to; i++ {
		in += len(a.terms[i])
	}
	out := totalTerms - in
	minCount := 2
	if in < 60 {
		minCount = 1
	}
	for _, p := range x.list {
		cin := p.countIn(from, to)
		if cin < minCount || !x.titleable(p) {
			continue
		}
		x.wordFeatures(p)
		subject := p.subject
		cout := len(p.units) - cin
		ratio := (float64(cin) / float64(in+1)) / ((float64(cout) + 0.5) / float64(out+1))
		if ratio <= 1 && !subject {
			continue
		}
		first := sort.Search(len(p.units), func(k int) bool { return int(p.units[k]) >= from })
		var f titleFeatures
		f[tfCount] = math.Log(float64(cin))
		f[tfRatio] = math.Log(math.Log(1 + max(ratio, 1)))
		f[tfGlobal] = math.Log(float64(len(p.units)))
		f[tfMulti] = indicator(p.n > 1)
		f[tfLong] = indicator(p.n > 2)
		f[tfPos] = math.Log(1 + 3*(1-float64(int(p.units[first])-from)/float64(to-from+1)))
		f[tfName] = indicator(p.capital*2 >= len(p.units))
		f[tfSubject] = indicator(subject)
		f[tfOpening] = indicator(int(p.units[first]) <= from+2)
		for k := first; k < len(p.units) && int(p.units[k]) <= to; k++ {
			if a.flags[p.units[k]]&flagQuestion != 0 {
				f[tfQuestion] = 1
				break
			}
		}
		f[tfNumber] = indicator(p.number)
		if first > 0 && int(p.units[first-1]) >= from-3 {
			f[tfBefore] = 1
		}
		if p.n > 1 {
			f[tfCountMulti] = f[tfCount]
		}
		f[tfSpread], f[tfAcronym], f[tfGeneric] = p.spread, indicator(p.acronym), p.vague
		f[tfNew] = indicator(int(p.units[0]) >= from-3)
		f[tfEarlier] = math.Log(1 + float64(first))
		a.inTopicFeatures(p, first, from, to, cin, &f)
		fn(p, &f)
	}
}

// inTopicFeatures sets the features that read the topic's units where
// p is met (from its first occurrence there, index first): tfLate,
// tfTurnQuestion and tfCue.
func (a *analysis) inTopicFeatures(p *phrase, first, from, to, cin int, f *titleFeatures) {
	mid, third := (from+to)/2, from+(to-from+1)/3
	late := 0
	var lower string
	for k := first; k < len(p.units) && int(p.units[k]) <= to; k++ {
		u := int(p.units[k])
		if u > mid {
			late++
		}
		if u <= third && a.flags[u]&flagQuestion != 0 && (u == 0 || a.units[u].Speaker != a.units[u-1].Speaker) {
			f[tfTurnQuestion] = 1
		}
		if f[tfCue] == 0 && a.names(u) {
			if lower == "" {
				lower = strings.ToLower(p.surface())
			}
			if namesAfterCue(a.lower[u], lower) {
				f[tfCue] = 1
			}
		}
	}
	f[tfLate] = float64(late) / float64(cin)
}

// namingCues introduce what a sentence is about: "let's talk about
// eclipse attacks", "what is a CVE", "it's called package relay".
var namingCues = []string{"about ", "what is ", "what's ", "what are ", "called ", "explain ", "introduce ", "is this ", "the idea of "}

// names reports whether unit i holds a naming cue at all.
func (a *analysis) names(i int) bool {
	if a.naming == nil {
		a.naming = make([]int8, len(a.units))
	}
	if a.naming[i] == 0 {
		a.naming[i] = -1
		if containsAny(a.lower[i], namingCues) {
			a.naming[i] = 1
		}
	}
	return a.naming[i] > 0
}

// namesAfterCue reports whether text (lower case) holds phrase (lower
// case) right after a naming cue, with or without an article.
func namesAfterCue(text, phrase string) bool {
	for at := strings.Index(text, phrase); at >= 0; {
		before := strings.TrimSuffix(strings.TrimSuffix(text[:at], "the "), "a ")
		for _, c := range namingCues {
			if strings.HasSuffix(before, c) {
				return true
			}
		}
		next := strings.Index(text[at+1:], phrase)
		if next < 0 {
			break
		}
		at += 1 + next
	}
	return false
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// wordFeatures sets, once, the features of a phrase that do not depend
// on the topic: whether it holds a word of the source's title or a
// number, the share of the topics (x.starts) it is met in, whether it
// holds a word in capitals, and the share of its words that are vague.
func (x *phraseIndex) wordFeatures(p *phrase) {
	if p.known {
		return
	}
	p.known = true
	for _, w := range strings.Fields(p.key) {
		p.subject = p.subject || x.subject[w]
		p.number = p.number || isNumber(w)
	}
	n, k := 0, -1
	for _, u := range p.units {
		t := sort.SearchInts(x.starts, int(u)+1) - 1
		if t != k {
			n, k = n+1, t
		}
	}
	if len(x.starts) > 0 {
		p.spread = float64(n) / float64(len(x.starts))
	}
	words := strings.Fields(p.surface())
	for _, w := range words {
		if len(w) > 1 && strings.ToUpper(w) == w && hasLetter(w) {
			p.acronym = true
		}
		lw := strings.ToLower(w)
		if _, ok := vagueNouns[lw]; ok || isNumber(lw) || numberWords[lw] {
			p.vague += 1 / float64(len(words))
		}
	}
}

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

// holding returns the phrases of several words that hold the word
// stem, in the order of x.list.
func (x *phraseIndex) holding(stem string) []*phrase {
	if x.holders == nil {
		x.holders = make(map[string][]*phrase)
		for _, p := range x.list {
			if p.n == 1 {
				continue
			}
			words := strings.Fields(p.key)
			for i, w := range words {
				if !slices.Contains(words[:i], w) {
					x.holders[w] = append(x.holders[w], p)
				}
			}
		}
	}
	return x.holders[stem]
}

func containsStem(key, stem string) bool {
	for s := range strings.FieldsSeq(key) {
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
	for _, w := range words[1:max(1, len(words)-1)] {
		if isVerb(strings.ToLower(w)) {
			return false // a clause, not a noun phrase ("payments meet block")
		}
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
	if !ok && !nounSuffix(w) {
		_, ok = verbs[stem(w)]
	}
	return ok
}

// nounSuffix reports whether w ends like a noun made from a verb
// ("payments", "settlement", "relation"), whose stem is the verb's.
func nounSuffix(w string) bool {
	for _, s := range []string{"ment", "ments", "tion", "tions", "ness"} {
		if strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
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
donate donated switch switched slow slowed contribute contributed
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
amazing fantastic incredible excellent brilliant horrible awful exciting boring tricky neat fun nice
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
// opening of a show or a talk: a greeting or an introduction of the
// speakers in its first ten units ("welcome to", "hey Sjors", "joining me
// today"). People title such a part "Introduction": 43 of the 67 talks
// of the development set head their first section so.
func introTitle(a *analysis, from, to int, title string) string {
	if from != 0 {
		return title
	}
	for i := from; i <= min(to, from+10); i++ {
		if greets(a.toks[i]) {
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

// greets reports whether the words toks (a unit's tokens) hold one of
// greetingCues.
func greets(toks []token) bool {
	var b strings.Builder
	b.WriteByte(' ')
	for _, t := range toks {
		b.WriteString(strings.ReplaceAll(strings.ToLower(t.surface), "’", "'"))
		b.WriteByte(' ')
	}
	words := b.String()
	for _, c := range greetingCues {
		if strings.Contains(words, " "+c+" ") {
			return true
		}
	}
	return false
}

// greetingCues open a show, a talk or a panel, as lower-case words
// without punctuation.
var greetingCues = []string{
	"welcome", "hello", "hi", "hey", "good morning", "good afternoon", "good evening",
	"joining me", "joining us", "joined by", "here with", "live from", "my name is", "i'm your host",
	"today's guest", "our guest", "thanks for having me", "thank you for having me", "introduce",
	"this episode",
}

// vagueNouns name no subject on their own: a title made of them says
// nothing ("Question and change", "Seven years").
var vagueNouns = makeSet(`
question questions answer answers problem problems issue issues idea ideas thing things stuff way ways lot lots kind kinds sort sorts
part parts point points time times day days week weeks month months year years people person guy guys folks bit bits piece pieces
example examples case cases reason reasons change changes fact facts matter side sides number numbers level levels type types
place places end beginning start world question area areas aspect aspects approach approaches term terms word words topic topics
episode episodes podcast podcasts show shows conversation conversations listener listeners guest guests host hosts
`)

var numberWords = map[string]bool{"one": true, "two": true, "three": true, "four": true, "five": true, "six": true, "seven": true, "eight": true, "nine": true, "ten": true, "hundred": true, "thousand": true, "million": true, "billion": true, "pound": true, "first": true, "second": true, "third": true}
