package store

// Benchmarks at the size the issue sets: 10,000 users and 1,000,000
// library rows, each with a full-text entry, and a session per user. The
// fixture is built once per run in a temporary folder, only when a
// benchmark asks for it, so `go test` stays fast. Set RECAP_BENCH_DIR to
// a folder to keep the fixture there and reuse it on the next run.
//
//	go test -run '^$' -bench . -benchtime 2000x ./pkg/store/

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/recap-startos/recap/pkg/library"
)

const (
	benchUsers       = 10_000
	benchRecapsPer   = 100 // 1,000,000 rows in all
	benchVocabulary  = 5_000
	benchWordsPerDoc = 40
)

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
	fixtureTemp bool
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureTemp && fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// benchWord returns word i of a made-up vocabulary of pronounceable words.
func benchWord(i int) string {
	syll := []string{"ka", "lo", "mi", "ren", "tu", "sa", "vor", "pe", "qui", "dan", "zel", "bo", "nir", "fa", "gu", "hel"}
	var b strings.Builder
	for n := i + 17; ; n /= len(syll) {
		b.WriteString(syll[n%len(syll)])
		if n < len(syll) {
			break
		}
	}
	return b.String() + "x"
}

// zipf draws vocabulary indexes with a few very common words and a long tail.
type zipf struct{ z *rand.Zipf }

func newZipf(r *rand.Rand) zipf { return zipf{rand.NewZipf(r, 1.1, 1, benchVocabulary-1)} }
func (z zipf) word() string     { return benchWord(int(z.z.Uint64())) }

func benchUserID(i int) string { return fmt.Sprintf("bench-user-%05d", i) }

// benchFixture returns the data folder holding the big database.
func benchFixture(b *testing.B) string {
	b.Helper()
	fixtureOnce.Do(func() {
		fixtureDir = os.Getenv("RECAP_BENCH_DIR")
		if fixtureDir == "" {
			fixtureDir, fixtureErr = os.MkdirTemp("", "recap-store-bench-")
			fixtureTemp = true
			if fixtureErr != nil {
				return
			}
		}
		if _, err := os.Stat(filepath.Join(fixtureDir, "complete")); err == nil {
			return
		}
		start := time.Now()
		fixtureErr = buildFixture(fixtureDir)
		if fixtureErr == nil {
			fixtureErr = os.WriteFile(filepath.Join(fixtureDir, "complete"), nil, 0o600)
		}
		fmt.Fprintf(os.Stderr, "built the benchmark fixture in %v\n", time.Since(start).Round(time.Second))
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixtureDir
}

func buildFixture(dir string) error {
	ctx := context.Background()
	st, err := Open(ctx, dir, Options{})
	if err != nil {
		return err
	}
	st.Close()
	db, err := driver.Open("file:" + PathIn(dir) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=foreign_keys(ON)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(1, 2))
	z := newZipf(r)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for u0 := 0; u0 < benchUsers; u0 += 500 {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		insUser, _ := tx.Prepare(`INSERT INTO users (id, email, created_at, synthetic_install_id) VALUES (?, ?, ?, ?)`)
		insSess, _ := tx.Prepare(`INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`)
		insMeta, _ := tx.Prepare(`INSERT INTO library_meta (session_id, user_id, title, type, url, topic_count, segment_count,
			created_at, summary, keywords, file_format, fts_rowid) VALUES (?, ?, ?, 'youtube', ?, 6, 24, ?, ?, '[]', 'recap-v1', ?)`)
		insText, _ := tx.Prepare(`INSERT INTO library_fts (rowid, title, keywords, summary, body) VALUES (?, ?, '', ?, ?)`)
		for u := u0; u < u0+500; u++ {
			id := benchUserID(u)
			key := ownerKey(id)
			if _, err := insUser.Exec(id, id+"@example.org", base, "inst-"+id); err != nil {
				return err
			}
			if _, err := insSess.Exec(HashToken("cookie-"+id), id, base, base+int64(365*24*time.Hour/time.Millisecond)*5); err != nil {
				return err
			}
			for k := range benchRecapsPer {
				row := int64(u*benchRecapsPer + k + 1)
				words := make([]string, benchWordsPerDoc)
				for i := range words {
					words[i] = z.word()
				}
				title := strings.Join(words[:5], " ")
				summary := strings.Join(words[5:15], " ")
				body := strings.Join(words[15:], " ")
				rid := fmt.Sprintf("r%07d", row)
				if _, err := insMeta.Exec(rid, id, title, "https://www.youtube.com/watch?v="+rid, base+row*60_000, summary, row); err != nil {
					return err
				}
				if _, err := insText.Exec(row, ftsText(key, title), ftsText(key, summary), ftsText(key, body)); err != nil {
					return err
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	if _, err := db.Exec(`INSERT INTO library_fts (library_fts) VALUES ('optimize')`); err != nil {
		return err
	}
	_, err = db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// latencies collects per-operation times and reports their p50 and p99.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	q := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

func openBench(b *testing.B) *Store {
	dir := benchFixture(b)
	st, err := Open(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkLibraryPage lists the newest 20 recaps of a random user.
func BenchmarkLibraryPage(b *testing.B) {
	st := openBench(b)
	lib := st.Library(b.TempDir())
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	var lat latencies
	b.ResetTimer()
	for b.Loop() {
		u := benchUserID(r.IntN(benchUsers))
		t0 := time.Now()
		page, err := lib.Find(ctx, u, library.Query{})
		lat.add(time.Since(t0))
		if err != nil || len(page.Hits) != library.DefaultLimit || page.Total != benchRecapsPer {
			b.Fatalf("page of %s: %d hits of %d, %v", u, len(page.Hits), page.Total, err)
		}
	}
	lat.report(b)
}

// BenchmarkSessionLookup reads a random user's session by its hash.
func BenchmarkSessionLookup(b *testing.B) {
	st := openBench(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	var lat latencies
	b.ResetTimer()
	for b.Loop() {
		h := HashToken("cookie-" + benchUserID(r.IntN(benchUsers)))
		t0 := time.Now()
		_, _, err := st.SessionByHash(ctx, h)
		lat.add(time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
	}
	lat.report(b)
}

// BenchmarkSearch searches a random user's library for two words, the
// first drawn like the text (so often a very common word), the second a
// prefix.
func BenchmarkSearch(b *testing.B) {
	st := openBench(b)
	lib := st.Library(b.TempDir())
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	z := newZipf(r)
	var lat latencies
	hits := 0
	b.ResetTimer()
	for b.Loop() {
		u := benchUserID(r.IntN(benchUsers))
		w2 := z.word()
		q := z.word() + " " + w2[:max(2, len(w2)-3)]
		t0 := time.Now()
		page, err := lib.Find(ctx, u, library.Query{Text: q})
		lat.add(time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		hits += page.Total
	}
	lat.report(b)
	b.ReportMetric(float64(hits)/float64(b.N), "matches/op")
}

// BenchmarkConcurrentWrites runs 32 goroutines, each writing single-row
// transactions (a sign-in log row) through the store's write path.
func BenchmarkConcurrentWrites(b *testing.B) {
	st := openBench(b)
	benchWriters(b, func(ctx context.Context, i int64) error {
		return st.LogSignInRequest(ctx, SignInRequest{Email: fmt.Sprintf("w%d@example.org", i), IPBucket: "198.51.100.7", Outcome: OutcomeSent})
	})
}

// BenchmarkConcurrentWritesRaw is the same load straight through the
// driver: a pool of connections, each write its own IMMEDIATE
// transaction, contending on SQLite's lock. It is the baseline.
func BenchmarkConcurrentWritesRaw(b *testing.B) {
	dir := benchFixture(b)
	db, err := driver.Open(dsn(PathIn(dir), DefaultBusyTimeout, "NORMAL", false))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(32)
	benchWriters(b, func(ctx context.Context, i int64) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signin_requests (email, ip_bucket, created_at, outcome) VALUES (?, ?, ?, 'sent')`,
			fmt.Sprintf("w%d@example.org", i), "198.51.100.7", time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

func benchWriters(b *testing.B, write func(ctx context.Context, i int64) error) {
	const writers = 32
	ctx := context.Background()
	var next, busy, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := write(ctx, i); err != nil {
					if isBusy(err) {
						busy.Add(1)
					} else {
						failed.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
	b.ReportMetric(float64(busy.Load()), "busy-errors")
	if failed.Load() > 0 {
		b.Fatalf("%d writes failed", failed.Load())
	}
}

func isBusy(err error) bool { return errors.Is(err, sqlite3.BUSY) }
