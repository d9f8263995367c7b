package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode"
)

// Migration 4 indexed the title and address of every row that existed,
// with the index terms of the time. A migration that has shipped must
// compute the same thing forever, whatever the live tokenizer
// (library.Tokenize) becomes, so the terms it writes come from this
// frozen copy of the tokenizer as migration 4 shipped it. A test holds
// the live tokenizer to this copy: when they part, the live index needs
// a new migration that rebuilds library_fts, and the test's corpus a
// new expectation.

// putTextV4 writes a row's full-text entry with migration 4's terms.
func putTextV4(ctx context.Context, tx *sql.Tx, ftsRow int64, userID, title, body string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM library_fts WHERE rowid = ?`, ftsRow); err != nil {
		return err
	}
	key := ownerKey(userID)
	terms := func(text string) string {
		var b strings.Builder
		for _, t := range tokenizeV4(text) {
			b.WriteString(key)
			b.WriteString(t)
			b.WriteByte(' ')
		}
		return b.String()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO library_fts (rowid, title, keywords, summary, body) VALUES (?, ?, '', '', ?)`,
		ftsRow, terms(title), terms(body))
	return err
}

// tokenizeV4 is library.Tokenize as migration 4 shipped: lower-case runs
// of letters and digits, without the stop words below and one-letter
// words, plural endings folded.
func tokenizeV4(text string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.ToLower(text[start:end])
		start = -1
		if len([]rune(w)) < 2 || stopWordsV4[w] {
			return
		}
		switch {
		case len(w) > 4 && strings.HasSuffix(w, "ies"):
			w = w[:len(w)-3] + "y"
		case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return out
}

var stopWordsV4 = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by for from has have he her his i if in into is it its
	of on or our she so than that the their them then there these they this to too was we were what when where which
	who will with you your yours um uh yeah okay oh just like really very can could would should do does did
	not no me my mine us all any some about also been being had how more most much only other such up out over`) {
		m[w] = true
	}
	return m
}()
