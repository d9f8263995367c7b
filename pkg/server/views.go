package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the views; each is templates/<name>.html on top of
// templates/layout.html. A view missing here or on disk fails start-up.
var pageNames = []string{"login", "home", "job", "recap", "delete", "library", "account", "error",
	"signin", "verify", "sessions", "admin", "admin_user", "admin_merge", "admin_invited", "admin_remove", "account_delete",
	"duplicate", "episodes", "following", "pricing", "order", "admin_orders", "digest_unsubscribe"}

// asset is an embedded static file with its content hash.
type asset struct {
	data  []byte
	hash  string // first 12 hex digits of the SHA-256
	ctype string
}

// views holds the parsed pages and the static assets.
type views struct {
	pages  map[string]*template.Template
	assets map[string]asset
}

// startTime stands in for the modification time of embedded files.
var startTime = time.Now()

func loadViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ctype := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}[path.Ext(p)]
		v.assets[path.Base(p)] = asset{data: data, hash: hex.EncodeToString(sum[:6]), ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server: static assets: %w", err)
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			a, ok := v.assets[name]
			if !ok {
				return "", fmt.Errorf("no static asset %q", name)
			}
			return "/static/" + name + "?v=" + a.hash, nil
		},
		"clock":     recap.FormatClock,
		"secs":      func(p *float64) int { return int(math.Floor(*p)) },
		"highlight": highlight,
		"clip":      clip,
		"date":      func(t time.Time) string { return t.Local().Format("2 Jan 2006") },
		"moment":    func(t time.Time) string { return t.Local().Format("2 Jan 2006, 15:04 MST") },
		"datetime":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"typeName":  typeName,
		"add":       func(a, b int) int { return a + b },
		// pathEsc escapes a recap id for a URL path: ids of the earlier
		// Recap may hold characters such as ? or # (recap.ValidStoredID).
		"pathEsc":   url.PathEscape,
		"thousands": thousands,
		"bytes":     byteSize,
	}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("server: template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	return v, nil
}

// view is what every page template receives.
type view struct {
	SignedIn bool
	Admin    bool   // show the admin dashboard in the menu
	Multi    bool   // multi mode: accounts
	Visitor  bool   // an anonymous visitor or trial holder (trials.go)
	Nav      string // the nav entry to mark as current
	Page     any    // the page's own data
	// Follows and Unread: following shows is on, and the caller's new
	// recaps from follows (the badge).
	Follows bool
	Unread  int
	// Relay is the notice that the relay cannot be reached
	// (relay_notice.go); nil while it answers.
	Relay *relayNotice
}

// render executes a page into a buffer first, so a template error
// becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	t, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("server: no view %q", name)
	}
	nav := name
	var buf bytes.Buffer
	v := view{Nav: nav, Page: data, Multi: s.multi != nil}
	c, ok := callerIn(r)
	if !ok {
		c, ok = s.gate.caller(r)
	}
	if ok && !c.visiting() {
		v.SignedIn, v.Admin = true, c.Admin
		v.Follows = s.opt.Follows != nil
		if name != "following" {
			v.Unread = s.unread(r, c)
		}
		n, show, err := s.relayNoticeFor(r, c, name)
		if err != nil {
			return err
		}
		if show {
			v.Relay = n
		}
	}
	v.Visitor = ok && c.visiting()
	if err := t.Execute(&buf, v); err != nil {
		if name == "error" {
			http.Error(w, "Something went wrong on the server.", http.StatusInternalServerError)
			s.log.Error("render error page", "error", err)
			return nil
		}
		return fmt.Errorf("server: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	a, ok := s.views.assets[ps.ByName("name")]
	if !ok {
		return errNotFound
	}
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", `"`+a.hash+`"`)
	http.ServeContent(w, r, "", startTime, bytes.NewReader(a.data))
	return nil
}

func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := s.views.assets["icon.svg"]
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(a.data)
	return nil
}

// highlight escapes text and marks the words whose index term is one of
// the matched search terms.
func highlight(text string, matched []string) template.HTML {
	if len(matched) == 0 {
		return template.HTML(template.HTMLEscapeString(text))
	}
	want := map[string]bool{}
	for _, m := range matched {
		want[m] = true
	}
	var b strings.Builder
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWord(r) {
			j := i + size
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if isWord(r2) {
					break
				}
				j += s2
			}
			b.WriteString(template.HTMLEscapeString(text[i:j]))
			i = j
			continue
		}
		j := i
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !isWord(r2) {
				break
			}
			j += s2
		}
		word := text[i:j]
		terms := library.Tokenize(word)
		if len(terms) == 1 && want[terms[0]] {
			b.WriteString("<mark>" + template.HTMLEscapeString(word) + "</mark>")
		} else {
			b.WriteString(template.HTMLEscapeString(word))
		}
		i = j
	}
	return template.HTML(b.String())
}

// clip shortens text to about n characters at a word boundary.
func clip(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)[:n]
	cut := strings.LastIndexByte(string(r), ' ')
	if cut < n/2 {
		cut = len(string(r))
	}
	return strings.TrimRight(string(r)[:cut], " ,;:.") + "…"
}

func typeName(t string) string {
	switch t {
	case recap.SourceYouTube:
		return "YouTube"
	case recap.SourcePodcast:
		return "Podcast"
	case recap.SourceFile:
		return "File"
	case recap.SourceText:
		return "Text"
	}
	return t
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// byteSize renders a byte count for people: 0 B, 980 B, 12.3 KB, 4.5 MB.
func byteSize(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, unit := range []string{"KB", "MB", "GB"} {
		f /= 1000
		if f < 1000 || unit == "GB" {
			return fmt.Sprintf("%.1f %s", f, unit)
		}
	}
	return ""
}
