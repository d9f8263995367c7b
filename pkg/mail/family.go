package mail

import (
	"bytes"
	"fmt"
	"time"
)

// Invite is what the invitation mail says.
type Invite struct {
	To        string        // the invited address
	InvitedBy string        // who invited them (the admin's address)
	Link      string        // the absolute URL of the confirm page
	Home      string        // where to sign in later: the public URL
	Site      string        // the host name people know Recap by
	ValidFor  time.Duration // how long the link works
}

// InviteMessage renders the invitation mail.
func InviteMessage(i Invite) (Message, error) {
	data := struct {
		Invite
		Days int
	}{i, int(i.ValidFor / (24 * time.Hour))}
	return render("invite", data, i.To, i.InvitedBy+" invited you to Recap on "+i.Site)
}

// DeleteAccount is what the mail confirming an account's deletion says.
type DeleteAccount struct {
	To       string
	Link     string
	Site     string
	Recaps   int
	ValidFor time.Duration
}

// DeleteAccountMessage renders the mail that confirms deleting an account.
func DeleteAccountMessage(d DeleteAccount) (Message, error) {
	data := struct {
		DeleteAccount
		Minutes int
	}{d, int(d.ValidFor / time.Minute)}
	return render("delete", data, d.To, "Confirm deleting your account on Recap on "+d.Site)
}

// render executes the text and HTML templates of one mail.
func render(name string, data any, to, subject string) (Message, error) {
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, name+".txt", data); err != nil {
		return Message{}, fmt.Errorf("mail: render %s text: %w", name, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, name+".html", data); err != nil {
		return Message{}, fmt.Errorf("mail: render %s html: %w", name, err)
	}
	return Message{To: to, Subject: subject, Text: text.String(), HTML: html.String()}, nil
}
