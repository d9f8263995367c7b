package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/transcript"
)

// readSubmission reads what to recap from a request: JSON {"url"} or
// {"text"}, or a form (multipart or not) with a file "file", or "url",
// "text", or "source" (the home page's one box: a link or pasted text).
func (s *Server) readSubmission(r *http.Request) (jobs.Input, error) {
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var in jobs.Input
	var rawURL, text, source, engine string
	switch ctype {
	case "application/json":
		var body struct {
			URL    string `json:"url"`
			Text   string `json:"text"`
			Engine string `json:"engine"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return in, err
			}
			return in, badRequest("bad_json", `The body must be JSON like {"url": "https://…"} or {"text": "…"}.`)
		}
		rawURL, text, engine = body.URL, body.Text, body.Engine
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return in, badRequest("bad_form", "The upload could not be read.")
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return in, s.tooLarge()
				}
				return in, badRequest("bad_form", "The upload could not be read.")
			}
			data, err := io.ReadAll(io.LimitReader(part, s.opt.MaxUpload+1))
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return in, s.tooLarge()
				}
				return in, badRequest("bad_form", "The upload could not be read.")
			}
			if int64(len(data)) > s.opt.MaxUpload {
				return in, s.tooLarge()
			}
			switch part.FormName() {
			case "file":
				if part.FileName() != "" {
					in.Name, in.Data = filepath.Base(part.FileName()), data
				}
			case "url":
				rawURL = string(data)
			case "text":
				text = string(data)
			case "source":
				source = string(data)
			case "engine":
				engine = string(data)
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return in, s.tooLarge()
			}
			return in, badRequest("bad_form", "The form could not be read.")
		}
		rawURL, text, source, engine = r.PostForm.Get("url"), r.PostForm.Get("text"), r.PostForm.Get("source"), r.PostForm.Get("engine")
	default:
		return in, &httpError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "Send JSON, a form, or a multipart upload."}
	}
	chosen, err := s.chooseEngine(engine)
	if err != nil {
		return in, err
	}
	in.Engine = chosen
	if in.Data != nil {
		if strings.TrimSpace(rawURL+text+source) != "" {
			return in, badRequest("too_many_sources", "Give one thing to recap: a file, a link or text, not several.")
		}
		if len(in.Data) == 0 {
			return in, badRequest("empty_file", "%s is empty (0 bytes); choose the file that holds the transcript.", clip(in.Name, 80))
		}
		return in, transcript.Check(in.Name, in.Data)
	}
	if source = strings.TrimSpace(source); source != "" {
		if looksLikeURL(source) {
			if low := strings.ToLower(source); !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") {
				source = "https://" + source
			}
			rawURL = source
		} else {
			text = source
		}
	}
	rawURL, text = strings.TrimSpace(rawURL), strings.TrimSpace(text)
	switch {
	case rawURL != "" && text != "":
		return in, badRequest("too_many_sources", "Give one thing to recap: a link or text, not both.")
	case rawURL != "":
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return in, badRequest("bad_url", "%q is not a web link; links start with https://.", clip(rawURL, 80))
		}
		if err := transcript.CheckLink(rawURL); err != nil {
			return in, badRequest("bad_url", "%q is not a valid link: %s.", clip(rawURL, 80), err)
		}
		in.Source = u.String()
	case text != "":
		if int64(len(text)) > s.opt.MaxUpload {
			return in, s.tooLarge()
		}
		if err := transcript.Check("pasted text", []byte(text)); err != nil {
			return in, err
		}
		in.Text = text
	default:
		return in, badRequest("empty", "Give a link, paste a transcript, or choose a subtitle file.")
	}
	return in, nil
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

func (s *Server) tooLarge() error {
	return &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: fmt.Sprintf("That is over the upload limit of %s.", formatMB(s.opt.MaxUpload)),
		Hint:    "Use a smaller file, or raise the upload limit in the advanced settings of the Config page."}
}
