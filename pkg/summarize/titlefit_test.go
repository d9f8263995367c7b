package summarize

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Fitting the title weights.
//
// RECAP_FIT_TITLES=1 go test -run FitTitleWeights -v ./pkg/summarize/
//
// recaps every talk of the development set as `recap eval quality` does
// (headings removed, the engine's own topics), and for each topic whose
// best-overlapping human section has a heading, lists every title
// candidate with its features and, as its target, the ROUGE-1 of the
// candidate alone against that heading. The weights maximise the
// expected ROUGE-1 of the candidate a softmax over the weighted features
// would pick (a listwise ranking loss), with a small L2 penalty. Talks are
// split into five folds by their position in the sorted list; the test
// prints, for the current weights and for weights fitted without each
// fold, the mean ROUGE-1 of the top candidate on the held-out fold, and
// then the weights fitted on all talks, to be copied into titleWeights.

var devDir = filepath.Join("..", "..", "..", "shared", "external", "subtitles", "bitcointranscripts-dev")

// titleTopic is one topic's candidates and their targets.
type titleTopic struct {
	feats  []titleFeatures
	target []float64
}

func TestFitTitleWeights(t *testing.T) {
	t.Parallel()
	if os.Getenv("RECAP_FIT_TITLES") == "" {
		t.Skip("set RECAP_FIT_TITLES=1 to fit the title weights")
	}
	paths := talkFiles(t, devDir)
	if len(paths) == 0 {
		t.Skip("the development set is not available")
	}
	var talks [][]titleTopic
	for _, p := range paths {
		topics, err := titleTopics(p)
		if err != nil {
			t.Fatal(err)
		}
		talks = append(talks, topics)
	}
	const folds = 5
	var now, fitted, n float64
	for k := range folds {
		var train, test []titleTopic
		for i, tt := range talks {
			if i%folds == k {
				test = append(test, tt...)
			} else {
				train = append(train, tt...)
			}
		}
		w := fitTitleWeights(train)
		a, c := topOneRouge(test, titleWeights), topOneRouge(test, w)
		t.Logf("fold %d: %d topics held out, top-1 ROUGE-1 current %.3f, fitted %.3f", k, len(test), a, c)
		now += a * float64(len(test))
		fitted += c * float64(len(test))
		n += float64(len(test))
	}
	t.Logf("held out, all folds: current %.3f, fitted %.3f", now/n, fitted/n)
	var all []titleTopic
	for _, tt := range talks {
		all = append(all, tt...)
	}
	w := fitTitleWeights(all)
	var b strings.Builder
	for i, v := range w {
		fmt.Fprintf(&b, "feature %d: %.3f\n", i, v)
	}
	t.Logf("weights fitted on all %d topics:\n%s", len(all), b.String())
}

// titleTopics recaps a development talk and returns its topics with
// their title candidates.
func titleTopics(path string) ([]titleTopic, error) {
	ref, err := LoadTalk(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	tr, err := transcript.Parse(filepath.Base(path), []byte(b.String()), transcript.Options{})
	if err != nil {
		return nil, err
	}
	return candidateTopics(ref, tr)
}

func candidateTopics(ref *Reference, tr *recap.Transcript) ([]titleTopic, error) {
	cu := cutUnits(tr)
	a := analyze(cu.units)
	a.markPartial(cu.partial)
	starts, err := segmentAnalysis(context.Background(), a, nil)
	if err != nil {
		return nil, err
	}
	x := collectPhrases(a)
	x.subject = subjectStems(tr.Source.Title)
	x.starts = starts
	total := 0
	for _, terms := range a.terms {
		total += len(terms)
	}
	refStarts := ref.startsIn(cu.units)
	var out []titleTopic
	for k, s := range starts {
		e := len(cu.units) - 1
		if k+1 < len(starts) {
			e = starts[k+1] - 1
		}
		h := bestSection(refStarts, len(cu.units), s, e)
		if h < 0 || h >= len(ref.Titles) || strings.TrimSpace(ref.Titles[h]) == "" {
			continue
		}
		var tt titleTopic
		x.eachTitleCandidate(a, s, e, total, func(p *phrase, f *titleFeatures) {
			tt.feats = append(tt.feats, *f)
			tt.target = append(tt.target, Rouge1(p.surface(), ref.Titles[h]))
		})
		if len(tt.feats) > 0 {
			out = append(out, tt)
		}
	}
	return out, nil
}

// topOneRouge is the mean target of the best-scoring candidate of each
// topic under weights w.
func topOneRouge(topics []titleTopic, w titleFeatures) float64 {
	if len(topics) == 0 {
		return 0
	}
	sum := 0.0
	for _, tt := range topics {
		best, bestS := 0, math.Inf(-1)
		for i, f := range tt.feats {
			if s := dotFeatures(w, f); s > bestS {
				best, bestS = i, s
			}
		}
		sum += tt.target[best]
	}
	return sum / float64(len(topics))
}

func dotFeatures(w, f titleFeatures) float64 {
	s := 0.0
	for i := range w {
		s += w[i] * f[i]
	}
	return s
}

// fitTitleWeights maximises the mean over topics of the expected target
// under a softmax of the weighted features, less 0.01·|w|², by gradient
// ascent with Adam steps from zero weights. Topics whose candidates all
// score 0 give no gradient.
func fitTitleWeights(topics []titleTopic) titleFeatures {
	var w, m, v titleFeatures
	const (
		rate   = 0.05
		l2     = 0.0003
		steps  = 6000
		b1, b2 = 0.9, 0.999
	)
	for step := 1; step <= steps; step++ {
		var grad titleFeatures
		for _, tt := range topics {
			// p_i = softmax(w·f_i); E = Σ p_i y_i; dE/dw = Σ p_i (y_i - E) f_i.
			scores := make([]float64, len(tt.feats))
			top := math.Inf(-1)
			for i, f := range tt.feats {
				scores[i] = dotFeatures(w, f)
				top = max(top, scores[i])
			}
			z := 0.0
			for i := range scores {
				scores[i] = math.Exp(scores[i] - top)
				z += scores[i]
			}
			e := 0.0
			for i := range scores {
				scores[i] /= z
				e += scores[i] * tt.target[i]
			}
			for i, f := range tt.feats {
				c := scores[i] * (tt.target[i] - e)
				for j := range grad {
					grad[j] += c * f[j]
				}
			}
		}
		for j := range grad {
			g := grad[j]/float64(len(topics)) - 2*l2*w[j]
			m[j] = b1*m[j] + (1-b1)*g
			v[j] = b2*v[j] + (1-b2)*g*g
			mh := m[j] / (1 - math.Pow(b1, float64(step)))
			vh := v[j] / (1 - math.Pow(b2, float64(step)))
			w[j] += rate * mh / (math.Sqrt(vh) + 1e-8)
		}
	}
	return w
}
