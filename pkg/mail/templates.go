package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/*.html"))
)

// SignIn is what the sign-in mail says.
type SignIn struct {
	To        string        // the address the link was asked for
	Link      string        // the absolute URL of the confirm page
	ValidFor  time.Duration // how long the link works
	Site      string        // the host name people know Recap by
	RequestIP string        // where the request came from, shown to the recipient
}

// SignInMessage renders the sign-in mail for s.
func SignInMessage(s SignIn) (Message, error) {
	data := struct {
		SignIn
		Minutes int
	}{s, int(s.ValidFor / time.Minute)}
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, "signin.txt", data); err != nil {
		return Message{}, fmt.Errorf("mail: render sign-in text: %w", err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, "signin.html", data); err != nil {
		return Message{}, fmt.Errorf("mail: render sign-in html: %w", err)
	}
	return Message{To: s.To, Subject: "Sign in to Recap on " + s.Site, Text: text.String(), HTML: html.String()}, nil
}

// Closed is what the mail says to an unknown address when sign-ups are
// closed.
type Closed struct {
	To   string
	Site string
}

// ClosedMessage renders the "no sign-ups" mail.
func ClosedMessage(c Closed) (Message, error) {
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, "closed.txt", c); err != nil {
		return Message{}, fmt.Errorf("mail: render closed text: %w", err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, "closed.html", c); err != nil {
		return Message{}, fmt.Errorf("mail: render closed html: %w", err)
	}
	return Message{To: c.To, Subject: "Recap on " + c.Site + ": no account for this address", Text: text.String(), HTML: html.String()}, nil
}
