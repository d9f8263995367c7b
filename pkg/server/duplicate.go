package server

import (
	"context"
	"net/http"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/transcript"
)

// A source submitted from the home page that the library has a recap of
// already (the same YouTube video, file or pasted text, transcript link,
// or episode chosen from a feed file) is not recapped again without
// asking: the duplicate page offers the existing recap, and a button
// that submits the same thing with again=1. A podcast feed link names
// its episode only once it is read, so it is not recognised before the
// job. The JSON API is unchanged: a script decides itself.

// sourceShelf is a shelf that can find the caller's recaps by source
// key: single mode's folder, and in multi mode the store's index of
// source keys (library_sources), which is scoped by user like every
// library query, or a trial's own folder. Another user's recap of the
// same source is never offered, nor hinted at.
type sourceShelf interface {
	BySource(ctx context.Context, userID string, keys []string) ([]*library.Entry, error)
}

var (
	_ sourceShelf = folderShelf{}
	_ sourceShelf = trialShelf{}
)

func (t trialShelf) BySource(ctx context.Context, userID string, keys []string) ([]*library.Entry, error) {
	return t.users.BySource(ctx, userID, keys) // a trial's own folder for a trial owner
}

func (f folderShelf) BySource(_ context.Context, _ string, keys []string) ([]*library.Entry, error) {
	return f.lib.BySource(keys), nil
}

// duplicatePage is the page for a source the library has already.
type duplicatePage struct {
	Existing []*library.Entry // newest first
	// What was submitted, to submit again: Source (a link or the pasted
	// text), or FileName for a file, which has to be chosen again.
	Source   string
	FileName string
	Engine   string
	// Upload is the token of a kept feed file (episode.go) whose Episode
	// (a selector, EpisodeTitle for people) is in the library: recapping
	// it again needs no new upload.
	Upload, Episode, EpisodeTitle string
}

// duplicateOf looks for recaps of in's source in the caller's library.
func (s *Server) duplicateOf(r *http.Request, in jobs.Input) (duplicatePage, bool) {
	return s.duplicateByKey(r, in, inputKey(in))
}

// duplicateByKey is duplicateOf for a source key known otherwise, such
// as a chosen episode's.
func (s *Server) duplicateByKey(r *http.Request, in jobs.Input, key string) (duplicatePage, bool) {
	shelf, ok := s.lib.(sourceShelf)
	if !ok || key == "" {
		return duplicatePage{}, false
	}
	found, err := shelf.BySource(r.Context(), callerOf(r).ID, []string{key})
	if err != nil || len(found) == 0 {
		return duplicatePage{}, false
	}
	p := duplicatePage{Existing: found, Engine: in.Engine}
	switch {
	case in.Data != nil:
		p.FileName = in.Name
	case in.Text != "":
		p.Source = in.Text
	default:
		p.Source = in.Source
	}
	return p, true
}

// inputKey is the source key a job's input will have, where it is known
// before the job runs: "" for a podcast feed link, and for a feed file
// whose chosen episode has no GUID.
func inputKey(in jobs.Input) string {
	switch {
	case in.Data != nil:
		if transcript.IsFeed(in.Data) {
			if ep, err := transcript.FindEpisode(in.Name, in.Data, in.Episode); err == nil && ep.GUID != "" {
				return recap.EpisodeKey(ep.GUID)
			}
			return ""
		}
		return recap.ContentKey(in.Data)
	case in.Text != "":
		return recap.ContentKey([]byte(in.Text))
	case in.Source != "":
		if id, _, err := transcript.ParseYouTubeURL(in.Source); err == nil {
			return recap.YouTubeKey(id)
		}
		return recap.LinkKey(in.Source)
	}
	return ""
}
