package transcript

import (
	"errors"
	"fmt"
)

// Kind classifies why a source could not be turned into a transcript, so
// callers can explain it and pick an exit code or HTTP status.
type Kind int

// Kinds of failure. The bad-input kinds (the caller can fix the request)
// come first; IsBadInput reports them.
const (
	KindUnknown       Kind = iota
	KindBadInput           // malformed URL, unsupported source, unparsable file
	KindTooLarge           // a file or response over the size limit
	KindTooLong            // a transcript over the duration limit
	KindNoCaptions         // the video has no usable captions
	KindBotWall            // YouTube asks for a sign-in or rate-limits us
	KindAgeRestricted      // the video needs a signed-in adult
	KindUnavailable        // private, removed, or not playable
	KindNetwork            // the source could not be reached
)

var kindNames = map[Kind]string{
	KindUnknown:       "unknown",
	KindBadInput:      "bad_input",
	KindTooLarge:      "too_large",
	KindTooLong:       "too_long",
	KindNoCaptions:    "no_captions",
	KindBotWall:       "bot_wall",
	KindAgeRestricted: "age_restricted",
	KindUnavailable:   "unavailable",
	KindNetwork:       "network",
}

// String returns the stable snake_case name of k, used as an error code.
func (k Kind) String() string { return kindNames[k] }

// Error is a classified failure with a one-line message a person can act
// on. Message says what happened and, where there is one, what to do.
type Error struct {
	Kind    Kind
	Message string
	Err     error // the underlying cause, if any; never shown to users as is
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds a classified error with a formatted message.
func errorf(kind Kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: cause}
}

// KindOf returns the kind of err, or KindUnknown when err is not a
// classified transcript error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

// IsBadInput reports whether err is the caller's to fix: a malformed or
// unsupported source, or one over a size or length limit.
func IsBadInput(err error) bool {
	switch KindOf(err) {
	case KindBadInput, KindTooLarge, KindTooLong:
		return true
	}
	return false
}
