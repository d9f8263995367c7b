package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
)

// removeFixture makes two users, the first with everything an account
// can own: recaps, a session, credits, a claimed trial, a sign-in link,
// an accepted invitation, a reminder and a pending purchase.
func removeFixture(t *testing.T, st *Store, lib *UserLibrary) (kid, other *User) {
	t.Helper()
	ctx := context.Background()
	_, err := st.CreateInvite(ctx, NewInvite{Email: "kid@example.org", InvitedBy: "owner@example.org", TokenHash: HashToken("inv"), ExpiresAt: time.Now().Add(time.Hour)})
	must(t, err)
	red, err := st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("inv"), SessionHash: HashToken("kid-cookie")})
	must(t, err)
	kid = red.User
	other, err = st.CreateUser(ctx, NewUser{Email: "other@example.org"})
	must(t, err)
	for i, id := range []string{"kid-1", "kid-2", "kid-3"} {
		must(t, lib.Save(ctx, kid.ID, testDoc(id, "Kid recap", time.Unix(int64(1000+i), 0), "dinosaurs")))
	}
	must(t, lib.Save(ctx, other.ID, testDoc("other-1", "Other recap", time.Unix(2000, 0), "dinosaurs")))
	must(t, st.CreateMagicLink(ctx, MagicLink{TokenHash: HashToken("kid-link"), Email: kid.Email, ExpiresAt: time.Now().Add(time.Hour)}))
	must(t, st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return execAll(ctx, tx,
			`INSERT INTO tenant_credits (user_id, purchased_balance) VALUES ('`+kid.ID+`', 5), ('`+other.ID+`', 6)`,
			`INSERT INTO anon_trials (cookie_id, created_at, credits_total, converted_to_user_id) VALUES ('t1', 1, 3, '`+kid.ID+`'), ('t2', 1, 3, '`+other.ID+`')`,
			`INSERT INTO subscription_reminders (user_id, period_expires_at, kind, sent_at) VALUES ('`+kid.ID+`', 'x', 'lapsed', 1)`,
			`INSERT INTO pending_purchases (invoice_id, buyer_type, buyer_id, credits, created_at) VALUES ('i1', 'user', '`+kid.ID+`', 5, 1)`,
		)
	}))
	return kid, other
}

// countOf counts the rows of the user left in every table that holds them.
func countOf(t *testing.T, st *Store, id, email string) int {
	t.Helper()
	var n int
	must(t, st.rdb.QueryRow(`SELECT
		(SELECT count(*) FROM users WHERE id = ?1) + (SELECT count(*) FROM sessions WHERE user_id = ?1) +
		(SELECT count(*) FROM library_meta WHERE user_id = ?1) + (SELECT count(*) FROM tenant_credits WHERE user_id = ?1) +
		(SELECT count(*) FROM anon_trials WHERE converted_to_user_id = ?1) + (SELECT count(*) FROM subscription_reminders WHERE user_id = ?1) +
		(SELECT count(*) FROM pending_purchases WHERE buyer_id = ?1) + (SELECT count(*) FROM magic_link_tokens WHERE email = ?2) +
		(SELECT count(*) FROM invites WHERE email_key = ?2)`, id, email).Scan(&n))
	return n
}

// checkRemoved holds the promise of removal: nothing of kid is left,
// rows or files, and other is untouched.
func checkRemoved(t *testing.T, st *Store, lib *UserLibrary, kid, other *User) {
	t.Helper()
	ctx := context.Background()
	if n := countOf(t, st, kid.ID, kid.Email); n != 0 {
		t.Errorf("%d rows of the removed account left", n)
	}
	if _, err := os.Stat(lib.Dir(kid.ID)); !os.IsNotExist(err) {
		t.Errorf("the removed account's folder: %v", err)
	}
	if _, _, err := st.SessionByHash(ctx, HashToken("kid-cookie")); !errors.Is(err, ErrNoSession) {
		t.Errorf("the removed account's session: %v", err)
	}
	page, err := lib.Find(ctx, other.ID, library.Query{Text: "dinosaurs"})
	if err != nil || page.Total != 1 {
		t.Errorf("the other account's search = %+v, %v", page, err)
	}
	// The other account: its row, its recap, its credits and its trial.
	if n := countOf(t, st, other.ID, other.Email); n != 4 {
		t.Errorf("the other account has %d rows, want 4", n)
	}
	var fts int
	must(t, st.rdb.QueryRow(`SELECT count(*) FROM library_fts WHERE library_fts MATCH ?`, `"`+ownerKey(kid.ID)+`dinosaur"`).Scan(&fts))
	if fts != 0 {
		t.Errorf("%d full-text entries of the removed account left", fts)
	}
}

func TestRemoveAccount(t *testing.T) {
	t.Parallel()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	kid, other := removeFixture(t, st, lib)
	rm, err := lib.RemoveAccount(context.Background(), kid.ID)
	if err != nil || rm.Recaps != 3 || rm.Sessions != 1 {
		t.Fatalf("remove = %+v, %v", rm, err)
	}
	checkRemoved(t, st, lib, kid, other)
	if _, err := lib.RemoveAccount(context.Background(), kid.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
	// The address can be invited again, to an empty library.
	if _, err := st.CreateInvite(context.Background(), NewInvite{Email: kid.Email, InvitedBy: "o", TokenHash: HashToken("again"), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("invite after removal: %v", err)
	}
}

// TestRemoveAccountCrash stops a removal at each point a crash could
// come (after the rows, and half-way through the files) and checks that
// the next start leaves rows and files consistent: all of the account
// gone, nothing of anyone else.
func TestRemoveAccountCrash(t *testing.T) {
	for _, c := range []struct {
		name    string
		partial bool // some files were already deleted when it stopped
	}{{"after the rows", false}, {"half-way through the files", true}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			st, err := Open(ctx, dir, Options{})
			must(t, err)
			lib := st.Library(filepath.Join(dir, "history"))
			kid, other := removeFixture(t, st, lib)
			afterRowsHook = func(string) error {
				if c.partial {
					os.Remove(filepath.Join(lib.Dir(kid.ID), "kid-2.json"))
				}
				return errCrash
			}
			_, err = lib.RemoveAccount(ctx, kid.ID)
			afterRowsHook = nil
			if !errors.Is(err, errCrash) {
				t.Fatalf("remove = %v", err)
			}
			if _, err := os.Stat(filepath.Join(lib.Dir(kid.ID), "kid-1.json")); err != nil {
				t.Fatalf("the crash should have left files: %v", err)
			}
			must(t, st.Close())

			st, err = Open(ctx, dir, Options{})
			must(t, err)
			defer st.Close()
			lib = st.Library(filepath.Join(dir, "history"))
			rep, err := lib.Reconcile(ctx)
			if err != nil || len(rep.Problems) != 0 || rep.Dropped != 0 {
				t.Fatalf("reconcile after the crash = %+v, %v", rep, err)
			}
			checkRemoved(t, st, lib, kid, other)
		})
	}
	// A failure inside the transaction changes nothing.
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	kid, _ := removeFixture(t, st, lib)
	before := countOf(t, st, kid.ID, kid.Email)
	must(t, st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return execAll(ctx, tx, `CREATE TRIGGER stop BEFORE DELETE ON users BEGIN SELECT RAISE(ABORT, 'stopped'); END`)
	}))
	if _, err := lib.RemoveAccount(ctx, kid.ID); err == nil {
		t.Fatal("remove succeeded through the trigger")
	}
	if after := countOf(t, st, kid.ID, kid.Email); after != before {
		t.Errorf("a failed removal changed rows: %d → %d", before, after)
	}
	if n, _ := lib.Count(ctx, kid.ID); n != 3 {
		t.Errorf("a failed removal left %d recaps", n)
	}
	if _, err := os.Stat(filepath.Join(lib.Dir(kid.ID), "kid-1.json")); err != nil {
		t.Errorf("a failed removal touched the files: %v", err)
	}
}

// A recap that finishes after its account was removed leaves nothing.
func TestSaveAfterRemoval(t *testing.T) {
	t.Parallel()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	kid, _ := removeFixture(t, st, lib)
	ctx := context.Background()
	if _, err := lib.RemoveAccount(ctx, kid.ID); err != nil {
		t.Fatal(err)
	}
	err := lib.Save(ctx, kid.ID, testDoc("late-1", "Late", time.Unix(5000, 0), "late"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("save for a removed account: %v", err)
	}
	if _, err := os.Stat(lib.Dir(kid.ID)); !os.IsNotExist(err) {
		t.Errorf("the removed account's folder came back: %v", err)
	}
}
