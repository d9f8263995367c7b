package summarize

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// extractJSON finds the JSON object in a model's answer and repairs the
// damage models commonly do to it:
//
//   - a reasoning block (<think>…</think>), prose or code fences around
//     the object, and text after it;
//   - raw newlines and tabs inside strings;
//   - trailing commas before } and ];
//   - an answer cut off at the output limit: the open string is closed,
//     and if that is not enough the object is cut back to the last
//     complete array element or property, and every open bracket closed.
//
// It returns the repaired object, or an error saying why there is none.
func extractJSON(text string) ([]byte, error) {
	text = stripThinking(text)
	if body, ok := fenced(text); ok {
		if out, err := scanObject(body); err == nil {
			return out, nil
		}
	}
	return scanObject(text)
}

// stripThinking drops the <think> block reasoning models put first; an
// unclosed block leaves nothing.
func stripThinking(s string) string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "<think>") {
		return s
	}
	if _, after, ok := strings.Cut(t, "</think>"); ok {
		return after
	}
	return ""
}

// fenced returns the body of the first ``` fence, up to the closing
// fence or the end of the text.
func fenced(s string) (string, bool) {
	i := strings.Index(s, "```")
	if i < 0 {
		return "", false
	}
	body := s[i+3:]
	if nl := strings.IndexByte(body, '\n'); nl >= 0 && !strings.Contains(body[:nl], "{") {
		body = body[nl+1:] // the info string, e.g. "json"
	}
	if j := strings.Index(body, "```"); j >= 0 {
		body = body[:j]
	}
	return body, true
}

// cutPoint is a place where an unfinished object can be cut and closed:
// the length of the output so far and the brackets open there.
type cutPoint struct {
	n     int
	stack string
}

// maxCutBack bounds how many cut points are tried on a truncated answer.
const maxCutBack = 64

// objectScanner copies a JSON object while repairing it: control
// characters escaped in strings, trailing commas dropped, forgotten
// closers added.
type objectScanner struct {
	out        []byte
	stack      []byte // the closers of the open brackets
	cuts       []cutPoint
	inStr, esc bool
}

func scanObject(s string) ([]byte, error) {
	start := strings.IndexByte(s, '{')
	if start < 0 {
		return nil, errors.New("no JSON object found")
	}
	sc := objectScanner{out: make([]byte, 0, len(s)-start+8)}
	for i := start; i < len(s); i++ {
		if sc.inStr {
			sc.stringByte(s[i])
			continue
		}
		if done := sc.byteOutside(s[i]); done {
			if err := validJSON(sc.out); err != nil {
				return nil, err
			}
			return sc.out, nil
		}
	}
	return sc.closeCutOff()
}

// stringByte copies c inside a string literal.
func (sc *objectScanner) stringByte(c byte) {
	switch {
	case sc.esc:
		sc.esc = false
		sc.out = append(sc.out, c)
	case c == '\\':
		sc.esc = true
		sc.out = append(sc.out, c)
	case c == '"':
		sc.inStr = false
		sc.out = append(sc.out, c)
	case c == '\n':
		sc.out = append(sc.out, `\n`...)
	case c == '\r':
		sc.out = append(sc.out, `\r`...)
	case c == '\t':
		sc.out = append(sc.out, `\t`...)
	case c < 0x20:
		// other control characters are dropped
	default:
		sc.out = append(sc.out, c)
	}
}

// byteOutside copies c outside strings and reports whether it closed
// the outermost object.
func (sc *objectScanner) byteOutside(c byte) bool {
	switch c {
	case '"':
		sc.inStr = true
	case '{', '[':
		sc.stack = append(sc.stack, closerOf(c))
		sc.out = append(sc.out, c)
		sc.cuts = append(sc.cuts, cutPoint{len(sc.out), string(sc.stack)})
		return false
	case '}', ']':
		return sc.close(c)
	case ',':
		sc.cuts = append(sc.cuts, cutPoint{len(sc.out), string(sc.stack)})
	}
	sc.out = append(sc.out, c)
	return false
}

// close handles a closing bracket: a stray one is dropped, forgotten
// ones before it are added. It reports whether the outermost object is
// now closed.
func (sc *objectScanner) close(c byte) bool {
	sc.out = trimComma(sc.out)
	k := strings.LastIndexByte(string(sc.stack), c)
	if k < 0 {
		return false // a stray closer
	}
	for len(sc.stack) > k+1 {
		// A closer was forgotten before this one: add it.
		sc.out = append(sc.out, sc.stack[len(sc.stack)-1])
		sc.stack = sc.stack[:len(sc.stack)-1]
	}
	sc.stack = sc.stack[:k]
	sc.out = append(sc.out, c)
	return len(sc.stack) == 0
}

// closeCutOff closes an object whose text ended inside it (the answer
// was cut off): as it is, else at one of the last cut points.
func (sc *objectScanner) closeCutOff() ([]byte, error) {
	if sc.inStr {
		tail := sc.out
		if sc.esc {
			tail = tail[:len(tail)-1]
		}
		if try := closeAll(append(append([]byte(nil), tail...), '"'), string(sc.stack)); json.Valid(try) {
			return try, nil
		}
	} else if try := closeAll(append([]byte(nil), sc.out...), string(sc.stack)); json.Valid(try) {
		return try, nil
	}
	for k := len(sc.cuts) - 1; k >= 0 && k >= len(sc.cuts)-maxCutBack; k-- {
		c := sc.cuts[k]
		if try := closeAll(append([]byte(nil), sc.out[:c.n]...), c.stack); json.Valid(try) {
			return try, nil
		}
	}
	return nil, errors.New("the JSON object is cut off and could not be closed")
}

func closerOf(c byte) byte {
	if c == '{' {
		return '}'
	}
	return ']'
}

// trimComma removes white space and one comma at the end of b.
func trimComma(b []byte) []byte {
	b = trimSpaceRight(b)
	if len(b) > 0 && b[len(b)-1] == ',' {
		b = trimSpaceRight(b[:len(b)-1])
	}
	return b
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// closeAll closes the open brackets of stack, innermost first.
func closeAll(b []byte, stack string) []byte {
	b = trimComma(b)
	if len(b) > 0 && b[len(b)-1] == ':' {
		return b // a key without its value: not closable here
	}
	for i := len(stack) - 1; i >= 0; i-- {
		b = append(b, stack[i])
	}
	return b
}

func validJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("the JSON is malformed: %v", err)
	}
	return nil
}
