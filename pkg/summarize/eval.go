package summarize

import (
	"math"
	"sort"
)

// Segmentation metrics.
//
// A segmentation of n units is given by the sorted indexes of the first
// unit of each segment. Both metrics slide a window of k units over the
// text: Pk (Beeferman, Berger and Lafferty 1999) counts the windows whose
// two ends are in the same segment in one segmentation and in different
// segments in the other; WindowDiff (Pevzner and Hearst 2002) counts the
// windows in which the two segmentations place a different number of
// boundaries. Both are error rates between 0 and 1, lower is better.

// WindowK is the conventional window for Pk and WindowDiff: half the mean
// length of the reference segments, rounded, and at least 1.
func WindowK(ref []int, n int) int {
	segs := len(normalizeStarts(ref, n))
	if segs == 0 || n == 0 {
		return 1
	}
	k := int(math.Round(float64(n) / float64(segs) / 2))
	return max(k, 1)
}

// Pk is the probability that two units k apart are wrongly judged to be
// in the same or in different segments by hyp, given ref. It is 0 when
// the text is not longer than k.
func Pk(ref, hyp []int, n, k int) float64 {
	r, h := labels(ref, n), labels(hyp, n)
	if k < 1 || n <= k {
		return 0
	}
	errs := 0
	for i := 0; i+k < n; i++ {
		if (r[i] == r[i+k]) != (h[i] == h[i+k]) {
			errs++
		}
	}
	return float64(errs) / float64(n-k)
}

// WindowDiff is the share of windows of k units in which ref and hyp
// place a different number of boundaries. It is 0 when the text is not
// longer than k.
func WindowDiff(ref, hyp []int, n, k int) float64 {
	r, h := labels(ref, n), labels(hyp, n)
	if k < 1 || n <= k {
		return 0
	}
	errs := 0
	for i := 0; i+k < n; i++ {
		if r[i+k]-r[i] != h[i+k]-h[i] {
			errs++
		}
	}
	return float64(errs) / float64(n-k)
}

// EqualSplit returns the starts of k segments of n units of (nearly) equal
// size, the baseline every segmenter must beat.
func EqualSplit(n, k int) []int {
	k = max(1, min(k, n))
	starts := make([]int, 0, k)
	for s := 0; s < k; s++ {
		starts = append(starts, s*n/k)
	}
	return starts
}

// EqualSplitWeighted returns the starts of k segments of nearly equal
// total weight (such as duration) over units with the given weights.
func EqualSplitWeighted(weights []float64, k int) []int {
	n := len(weights)
	k = max(1, min(k, n))
	total := 0.0
	for _, w := range weights {
		total += w
	}
	starts := []int{0}
	acc := 0.0
	for i, w := range weights {
		if len(starts) < k && i > starts[len(starts)-1] && acc >= total*float64(len(starts))/float64(k) {
			starts = append(starts, i)
		}
		acc += w
	}
	return starts
}

// labels turns segment starts into the segment number of every unit.
func labels(starts []int, n int) []int {
	starts = normalizeStarts(starts, n)
	l := make([]int, n)
	seg := -1
	next := 0
	for i := 0; i < n; i++ {
		for next < len(starts) && starts[next] <= i {
			seg++
			next++
		}
		l[i] = max(seg, 0)
	}
	return l
}

// normalizeStarts sorts starts, drops duplicates and out-of-range values
// and makes sure the first segment starts at 0.
func normalizeStarts(starts []int, n int) []int {
	out := []int{0}
	s := append([]int(nil), starts...)
	sort.Ints(s)
	for _, v := range s {
		if v > out[len(out)-1] && v < n {
			out = append(out, v)
		}
	}
	if n == 0 {
		return nil
	}
	return out
}
