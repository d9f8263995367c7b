package jobs

import (
	"errors"

	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Explain turns an error from Process into a Failure for people.
func Explain(err error) *Failure {
	if errors.Is(err, ErrStorage) {
		return &Failure{Code: "storage", Message: "Recap could not write to its data folder, so this job was stopped.", Hint: "Check that the server's disk has free space, then submit it again."}
	}
	if errors.Is(err, errShutdown) {
		return &Failure{Code: "interrupted", Message: "Recap was stopped before this job finished.", Hint: "Submit it again."}
	}
	var own *Failure
	if errors.As(err, &own) {
		return own
	}
	var le *summarize.LLMError
	if errors.As(err, &le) {
		return explainLLM(le)
	}
	var te *transcript.Error
	if !errors.As(err, &te) {
		return &Failure{Code: "internal", Message: "Something went wrong while making the recap.", Hint: "Try again; if it keeps failing, the server log has the details."}
	}
	f := &Failure{Code: te.Kind.String(), Message: te.Error()}
	switch te.Kind {
	case transcript.KindBadInput:
		f.Hint = "Check the link or the file. Recap reads YouTube links, podcast feeds with transcripts, WebVTT and SRT subtitles, Podcasting 2.0 JSON, HTML and plain-text transcripts."
	case transcript.KindTooLarge:
		f.Hint = "Use a smaller file, or raise the upload limit in the advanced settings of the Config page."
	case transcript.KindTooLong:
		f.Hint = "Recap a shorter part, or raise the longest transcript in the advanced settings of the Config page."
	case transcript.KindNoCaptions:
		f.Hint = "If you have a subtitle or transcript file for it, upload that instead."
	case transcript.KindBotWall:
		f.Hint = "YouTube is refusing this server for now. Wait a while and try again, or upload the video's subtitle file."
	case transcript.KindAgeRestricted:
		f.Hint = "Recap cannot sign in to YouTube. Get the subtitle file another way and upload it."
	case transcript.KindUnavailable:
		f.Hint = "Check that the link is right and the video is public."
	case transcript.KindNetwork:
		f.Hint = "Check this server's connection to the internet and try again."
	default:
		f.Code = "failed"
		f.Hint = "Try again; if it keeps failing, the server log has the details."
	}
	return f
}

// explainLLM says what the model server's failure means and what the
// owner can change. The message names the server (never the key).
func explainLLM(le *summarize.LLMError) *Failure {
	f := &Failure{Code: "engine_failed", Message: "The " + le.Engine + " engine failed: " + le.Error() + "."}
	switch {
	case errors.Is(le, summarize.ErrUnreachable):
		f.Code, f.Hint = "engine_unreachable", "Check that the model server is running and that its address in the engine settings of the Config page is right, or choose the builtin engine for this recap."
	case errors.Is(le, summarize.ErrAuth):
		f.Code, f.Hint = "engine_auth", "Check the API key in the engine settings of the Config page."
	case errors.Is(le, summarize.ErrUnknownModel):
		f.Code, f.Hint = "engine_model", "Check the model name in the engine settings; it must be one the server has."
	case errors.Is(le, summarize.ErrContextTooSmall):
		f.Code, f.Hint = "engine_context", "Raise the context size the server runs with (and in the engine settings), or choose the builtin engine."
	case errors.Is(le, summarize.ErrBlocked):
		f.Code, f.Hint = "engine_blocked", "The provider refused this content. Choose the builtin engine for this recap."
	case errors.Is(le, summarize.ErrRateLimited), errors.Is(le, summarize.ErrTimeout):
		f.Code, f.Hint = "engine_busy", "Try again later, or choose the builtin engine for this recap."
	default:
		f.Hint = "Try again; if it keeps failing, choose the builtin engine for this recap."
	}
	return f
}
