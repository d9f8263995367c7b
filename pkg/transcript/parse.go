package transcript

import "github.com/recap-startos/recap/pkg/recap"

// Parse reads a subtitle or transcript document (WebVTT, SRT, Podcasting
// 2.0 JSON, HTML or plain text), recognised by its content with name's
// extension as a hint, into a normalized transcript whose Source.Type is
// "file". Limits in opt apply.
//
// The format parsers land with the next change; until then every input is
// refused as unsupported.
func Parse(name string, data []byte, opt Options) (*recap.Transcript, error) {
	return nil, errorf(KindBadInput, nil, "%s: no parser for this format yet", name)
}
