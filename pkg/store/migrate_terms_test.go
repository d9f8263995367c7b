package store

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/library"
)

// TestMigration4TermsAreFrozen: what migration 4 writes does not follow
// the live tokenizer. Its terms for a fixed text are fixed here.
func TestMigration4TermsAreFrozen(t *testing.T) {
	t.Parallel()
	got := strings.Join(tokenizeV4("The Libraries of Bitcoin-Core v23: what's new, and the QUERIES it answers (Ep. 7)"), " ")
	want := "library bitcoin core v23 new query answer ep"
	if got != want {
		t.Fatalf("migration 4's terms changed:\n got %s\nwant %s", got, want)
	}
}

// TestLiveTokenizerIsMigration4s: the index migration 4 wrote is read
// with the live tokenizer's terms, so the two must agree. When this
// fails because library.Tokenize changed on purpose, add a migration
// that rebuilds library_fts with the new terms; do not edit tokenizeV4.
func TestLiveTokenizerIsMigration4s(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../testdata/talks/bitcoin-explained_bitcoin-core-v23.md")
	if err != nil {
		t.Fatal(err)
	}
	texts := append(strings.Split(string(raw), "\n"), "Ünïcode Straße 東京 mixes", "tiny a I", "buses glasses status analysis cities")
	for _, text := range texts {
		if live, frozen := library.Tokenize(text), tokenizeV4(text); !reflect.DeepEqual(live, frozen) {
			t.Fatalf("library.Tokenize and migration 4 disagree on %q:\n live %q\n   v4 %q", text, live, frozen)
		}
	}
}
