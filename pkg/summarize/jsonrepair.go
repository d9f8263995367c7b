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

func scanObject(s string) ([]byte, error) {
	start := strings.IndexByte(s, '{')
	if start < 0 {
		return nil, errors.New("no JSON object found")
	}
	out := make([]byte, 0, len(s)-start+8)
	var stack []byte
	var cuts []cutPoint
	inStr, esc := false, false
	for i := start; i < len(s); i++ {
		c := s[i]
		if inStr {
			switch {
			case esc:
				esc = false
				out = append(out, c)
			case c == '\\':
				esc = true
				out = append(out, c)
			case c == '"':
				inStr = false
				out = append(out, c)
			case c == '\n':
				out = append(out, `\n`...)
			case c == '\r':
				out = append(out, `\r`...)
			case c == '\t':
				out = append(out, `\t`...)
			case c < 0x20:
				// other control characters are dropped
			default:
				out = append(out, c)
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			out = append(out, c)
		case '{', '[':
			stack = append(stack, closerOf(c))
			out = append(out, c)
			cuts = append(cuts, cutPoint{len(out), string(stack)})
		case '}', ']':
			out = trimComma(out)
			k := strings.LastIndexByte(string(stack), c)
			if k < 0 {
				continue // a stray closer
			}
			for len(stack) > k+1 {
				// A closer was forgotten before this one: add it.
				out = append(out, stack[len(stack)-1])
				stack = stack[:len(stack)-1]
			}
			stack = stack[:k]
			out = append(out, c)
			if len(stack) == 0 {
				if err := validJSON(out); err != nil {
					return nil, err
				}
				return out, nil
			}
		case ',':
			cuts = append(cuts, cutPoint{len(out), string(stack)})
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	// The text ended inside the object: it was cut off.
	if inStr {
		tail := out
		if esc {
			tail = tail[:len(tail)-1]
		}
		if try := closeAll(append(append([]byte(nil), tail...), '"'), string(stack)); json.Valid(try) {
			return try, nil
		}
	} else if try := closeAll(append([]byte(nil), out...), string(stack)); json.Valid(try) {
		return try, nil
	}
	for k := len(cuts) - 1; k >= 0 && k >= len(cuts)-maxCutBack; k-- {
		c := cuts[k]
		if try := closeAll(append([]byte(nil), out[:c.n]...), c.stack); json.Valid(try) {
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
