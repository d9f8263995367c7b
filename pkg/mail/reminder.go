package mail

import "time"

// Reminder is what an expiry reminder says: a paid period (Pro or Max)
// ends soon, or has ended.
type Reminder struct {
	To      string
	Site    string    // the host name people know Recap by
	Plan    string    // the plan's name as people see it: "Pro" or "Max"
	Ends    time.Time // the end of the paid period
	Lapsed  bool      // the period has ended
	Renew   string    // the absolute URL of the pricing page
	Account string    // the absolute URL of the account page
}

// ReminderMessage renders an expiry reminder.
func ReminderMessage(r Reminder) (Message, error) {
	data := struct {
		Reminder
		When string
	}{r, r.Ends.UTC().Format("Monday 2 January 2006 at 15:04 UTC")}
	subject := "Your Recap " + r.Plan + " period ends on " + r.Ends.UTC().Format("2 January")
	if r.Lapsed {
		subject = "Your Recap " + r.Plan + " period has ended"
	}
	return render("reminder", data, r.To, subject)
}
