package startos

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is an emver version: three or four dot-separated whole numbers
// (major.minor.patch and an optional packaging revision). A missing
// fourth number counts as 0.
type Version [4]uint64

// ParseVersion parses an emver version such as "0.3.0" or "0.2.155.1".
// A leading "v" is tolerated; anything else (prerelease tags, ExVer's
// ":" revisions) is an error.
func ParseVersion(s string) (Version, error) {
	var v Version
	parts := strings.Split(strings.TrimPrefix(strings.TrimSpace(s), "v"), ".")
	if len(parts) < 3 || len(parts) > 4 {
		return v, fmt.Errorf("version %q: want 3 or 4 numbers separated by dots", s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil || (len(p) > 1 && p[0] == '0') {
			return v, fmt.Errorf("version %q: %q is not a whole number", s, p)
		}
		v[i] = n
	}
	return v, nil
}

// Compare returns -1, 0 or 1 as v sorts before, with or after w.
func (v Version) Compare(w Version) int {
	for i := range v {
		switch {
		case v[i] < w[i]:
			return -1
		case v[i] > w[i]:
			return 1
		}
	}
	return 0
}

// String renders v with three numbers, or four when the revision is set.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])
	if v[3] != 0 {
		s += fmt.Sprintf(".%d", v[3])
	}
	return s
}
