package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/transcript"
)

// submission is what a request to start a job carries, as decoded from
// any of its forms, before it is checked.
type submission struct {
	URL, Text, Source, Engine string
	FileName                  string
	// Episode picks the episode of a podcast feed link or file (GUID,
	// title or number, 1 = newest); "" for the default, or, for a feed
	// file sent from the home page, the episode chooser (episode.go).
	Episode string
	File    []byte // nil without a file
	// Again asks for a new recap even when the library has one of the
	// same source (the form field again=1; see duplicate.go).
	Again bool
}

// readSubmission reads what to recap from a request: JSON {"url"} or
// {"text"}, or a form (multipart or not) with a file "file", or "url",
// "text", or "source" (the home page's one box: a link or pasted text).
// It decodes, then checks once.
func (s *Server) readSubmission(r *http.Request) (jobs.Input, error) {
	in, _, err := s.readSubmissionAgain(r)
	return in, err
}

// readSubmissionAgain is readSubmission that also tells whether the
// form asked to recap again a source the library has already.
func (s *Server) readSubmissionAgain(r *http.Request) (jobs.Input, bool, error) {
	sub, err := s.decodeSubmission(r)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return jobs.Input{}, false, s.tooLarge()
	}
	if err != nil {
		return jobs.Input{}, false, err
	}
	in, err := s.checkSubmission(sub)
	return in, sub.Again, err
}

// decodeSubmission decodes the body by its content type. A body over the
// limit comes back as the *http.MaxBytesError.
func (s *Server) decodeSubmission(r *http.Request) (submission, error) {
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/json":
		return decodeJSONSubmission(r.Body)
	case "multipart/form-data":
		return s.decodeMultipartSubmission(r)
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return submission{}, orBadRequest(err, errBadForm)
		}
		f := r.PostForm
		return submission{URL: f.Get("url"), Text: f.Get("text"), Source: f.Get("source"), Engine: f.Get("engine"),
			Episode: f.Get("episode"), Again: f.Get("again") == "1"}, nil
	}
	return submission{}, errUnsupportedMedia
}

// orBadRequest keeps a body-too-large error as it is and turns any other
// into bad.
func orBadRequest(err error, bad *httpError) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return bad
}

func decodeJSONSubmission(body io.Reader) (submission, error) {
	var b struct {
		URL     string `json:"url"`
		Text    string `json:"text"`
		Engine  string `json:"engine"`
		Episode string `json:"episode"`
	}
	if err := json.NewDecoder(body).Decode(&b); err != nil {
		return submission{}, orBadRequest(err, badRequest("bad_json", `The body must be JSON like {"url": "https://…"} or {"text": "…"}.`))
	}
	return submission{URL: b.URL, Text: b.Text, Engine: b.Engine, Episode: b.Episode}, nil
}

func (s *Server) decodeMultipartSubmission(r *http.Request) (submission, error) {
	var sub submission
	bad := badRequest("bad_form", "The upload could not be read.")
	mr, err := r.MultipartReader()
	if err != nil {
		return sub, bad
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return sub, nil
		}
		if err != nil {
			return sub, orBadRequest(err, bad)
		}
		data, err := io.ReadAll(io.LimitReader(part, s.opt.MaxUpload+1))
		if err != nil {
			return sub, orBadRequest(err, bad)
		}
		if int64(len(data)) > s.opt.MaxUpload {
			return sub, &http.MaxBytesError{Limit: s.opt.MaxUpload}
		}
		switch part.FormName() {
		case "file":
			if part.FileName() != "" {
				sub.FileName, sub.File = filepath.Base(part.FileName()), data
			}
		case "url":
			sub.URL = string(data)
		case "text":
			sub.Text = string(data)
		case "source":
			sub.Source = string(data)
		case "engine":
			sub.Engine = string(data)
		case "episode":
			sub.Episode = string(data)
		case "again":
			sub.Again = string(data) == "1"
		}
	}
}

// checkSubmission turns a decoded submission into a job's input: one
// source (a file, a link or text), a known engine, a web link, a text
// within the upload limit.
func (s *Server) checkSubmission(sub submission) (jobs.Input, error) {
	var in jobs.Input
	chosen, err := s.chooseEngine(sub.Engine)
	if err != nil {
		return in, err
	}
	in.Engine = chosen
	in.Episode = strings.TrimSpace(sub.Episode)
	if sub.File != nil {
		return checkFile(sub, in)
	}
	rawURL, text := sub.linkAndText()
	switch {
	case rawURL != "" && text != "":
		return in, badRequest("too_many_sources", "Give one thing to recap: a link or text, not both.")
	case rawURL != "":
		in.Source, err = checkLink(rawURL)
		return in, err
	case text != "":
		if int64(len(text)) > s.opt.MaxUpload {
			return in, s.tooLarge()
		}
		if err := transcript.Check("pasted text", []byte(text)); err != nil {
			return in, err
		}
		in.Text, in.Episode = text, ""
		return in, nil
	}
	return in, badRequest("empty", "Give a link, paste a transcript, or choose a subtitle file.")
}

// checkFile checks an uploaded file, the submission's only source, and
// for a feed with an episode asked for, that the feed has it.
func checkFile(sub submission, in jobs.Input) (jobs.Input, error) {
	if strings.TrimSpace(sub.URL+sub.Text+sub.Source) != "" {
		return in, badRequest("too_many_sources", "Give one thing to recap: a file, a link or text, not several.")
	}
	in.Name, in.Data = sub.FileName, sub.File
	if len(in.Data) == 0 {
		return in, badRequest("empty_file", "%s is empty (0 bytes); choose the file that holds the transcript.", clip(in.Name, 80))
	}
	if err := transcript.Check(in.Name, in.Data); err != nil {
		return in, err
	}
	if in.Episode != "" && transcript.IsFeed(in.Data) {
		_, err := transcript.FindEpisode(in.Name, in.Data, in.Episode)
		return in, err
	}
	return in, nil
}

// linkAndText returns the submission's link and text, trimmed. The home
// page's one box (Source) is a link when it looks like one (https:// is
// added when missing), else text.
func (sub submission) linkAndText() (rawURL, text string) {
	rawURL, text = sub.URL, sub.Text
	if source := strings.TrimSpace(sub.Source); source != "" {
		if looksLikeURL(source) {
			if low := strings.ToLower(source); !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") {
				source = "https://" + source
			}
			rawURL = source
		} else {
			text = source
		}
	}
	return strings.TrimSpace(rawURL), strings.TrimSpace(text)
}

// checkLink returns a submitted web link as a job's source.
func checkLink(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", badRequest("bad_url", "%q is not a web link; links start with https://.", clip(rawURL, 80))
	}
	if err := transcript.CheckLink(rawURL); err != nil {
		return "", badRequest("bad_url", "%q is not a valid link: %s.", clip(rawURL, 80), err)
	}
	return u.String(), nil
}

// chooseEngine checks a job's engine choice: "" or the default mean the
// default (returned as ""), any other must be one of Options.Engines.
func (s *Server) chooseEngine(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || (len(s.opt.Engines) > 0 && name == s.opt.Engines[0]) {
		return "", nil
	}
	for _, e := range s.opt.Engines {
		if e == name {
			return name, nil
		}
	}
	return "", badRequest("unknown_engine", "%q is not an engine you can choose here.", clip(name, 40))
}

// looksLikeURL reports whether the home page's box holds one link rather
// than text.
func looksLikeURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	low := strings.ToLower(s)
	return strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") ||
		strings.HasPrefix(low, "www.") || strings.HasPrefix(low, "youtu.be/") || strings.HasPrefix(low, "youtube.com/")
}

func (s *Server) tooLarge() error { return uploadTooLarge(s.opt.MaxUpload) }
