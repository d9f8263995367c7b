package startos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// ActionResult is the one document an action prints on stdout when it
// succeeds (StartOS 0.3.5 reads version "0", the only version there is).
type ActionResult struct {
	Version  string  `json:"version"`  // always "0"
	Message  string  `json:"message"`  // headline of the result dialog
	Value    *string `json:"value"`    // optional payload: a password, a file name
	Copyable bool    `json:"copyable"` // offer to copy Value
	QR       bool    `json:"qr"`       // show Value as a QR code
}

// Result returns a result with a message and no value.
func Result(format string, args ...any) ActionResult {
	return ActionResult{Version: "0", Message: fmt.Sprintf(format, args...)}
}

// WithValue returns r carrying value, copyable when copyable is true.
func (r ActionResult) WithValue(value string, copyable bool) ActionResult {
	r.Value = &value
	r.Copyable = copyable
	return r
}

// Write prints r as one JSON document.
func (r ActionResult) Write(w io.Writer) error {
	if r.Version == "" {
		r.Version = "0"
	}
	return json.NewEncoder(w).Encode(r)
}

// DecodeInput reads an action's input: a JSON object on stdin, as StartOS
// sends the values of the action's form. StartOS sends nothing for an
// action without a form, so empty input and null decode as {} (dst keeps
// its defaults). Unknown keys are errors, so a form and its command
// cannot drift apart unnoticed.
func DecodeInput(r io.Reader, dst any) error {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("input is not the JSON object this action expects: %w", err)
	}
	return nil
}
