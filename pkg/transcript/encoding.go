package transcript

import (
	"bytes"
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeText turns the bytes of a text document into a Go string with
// "\n" line endings. It understands a UTF-8 byte order mark, UTF-16 in
// either byte order (with a byte order mark, or without one when the NUL
// bytes give it away), and falls back to Windows-1252 for bytes that are
// not valid UTF-8, which is what old subtitle files usually are. Bare CR
// and CRLF line endings become LF, so line numbers still match what an
// editor shows.
func decodeText(data []byte) string {
	var s string
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		s = validUTF8(data[3:])
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		s = decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		s = decodeUTF16(data[2:], true)
	default:
		if bigEndian, ok := looksUTF16(data); ok {
			s = decodeUTF16(data, bigEndian)
		} else {
			s = validUTF8(data)
		}
	}
	// A second mark can survive a conversion; it is never content.
	s = strings.TrimPrefix(s, "\uFEFF")
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if strings.ContainsRune(s, 0) {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// looksUTF16 reports whether data without a byte order mark is UTF-16
// text: mostly ASCII, so every other byte is NUL. bigEndian tells which
// half the NULs are in.
func looksUTF16(data []byte) (bigEndian, ok bool) {
	n := min(len(data), 512) &^ 1
	if n < 4 {
		return false, false
	}
	even, odd := 0, 0
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			even++
		}
		if data[i+1] == 0 {
			odd++
		}
	}
	half := n / 2
	switch {
	case odd*10 >= half*7 && even*10 < half:
		return false, true
	case even*10 >= half*7 && odd*10 < half:
		return true, true
	}
	return false, false
}

func decodeUTF16(data []byte, bigEndian bool) string {
	units := make([]uint16, len(data)/2)
	for i := range units {
		a, b := uint16(data[2*i]), uint16(data[2*i+1])
		if bigEndian {
			units[i] = a<<8 | b
		} else {
			units[i] = b<<8 | a
		}
	}
	return string(utf16.Decode(units))
}

// validUTF8 returns data as a string, reading it as Windows-1252 when it
// is not valid UTF-8.
func validUTF8(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data) + len(data)/4)
	for _, c := range data {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			b.WriteRune(cp1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// cp1252 maps the bytes 0x80–0x9F of Windows-1252 to Unicode; the rest of
// the code page is Latin-1. Unassigned bytes map to U+FFFD.
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

// cleanText decodes HTML entities in s and drops invisible characters
// (see dropInvisible).
func cleanText(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return dropInvisible(s)
}

// dropInvisible removes the invisible formatting characters (directional
// marks, zero-width spaces, soft hyphens) that subtitle files carry but
// that mean nothing in a transcript.
func dropInvisible(s string) string {
	if strings.IndexFunc(s, invisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

func invisible(r rune) bool {
	switch r {
	case '\u200B', '\u200E', '\u200F', '\u2060', '\uFEFF', '\u00AD',
		'\u202A', '\u202B', '\u202C', '\u202D', '\u202E':
		return true
	}
	return false
}
