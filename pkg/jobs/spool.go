package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/recap-startos/recap/pkg/atomicfile"
)

// A job's uploaded file or pasted text is spooled to DIR/<id>.input
// while the job waits, so that waiting jobs hold no input in memory and a
// restart can run them again. The file goes when the job ends.

const spoolExt = ".input"

func (q *Queue) spoolFile(id string) string { return filepath.Join(q.cfg.Dir, id+spoolExt) }

// writeSpool writes the job's input to its spool file and drops it from
// memory. It is called before the job reaches a worker.
func (q *Queue) writeSpool(j *job) error {
	if j.spool == "" {
		return nil
	}
	data := j.in.Data
	if j.in.Data == nil {
		data = []byte(j.in.Text)
	}
	err := atomicfile.Write(j.spool, data, 0o600)
	q.wrote(err)
	if err != nil {
		q.log.Error("jobs: cannot keep job input", "job_id", j.state.ID, "error", err)
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	j.in.Data, j.in.Text = nil, ""
	return nil
}

// readSpool returns the job's input with its spooled data read back.
func (q *Queue) readSpool(j *job) (Input, error) {
	in := j.in
	if j.spool == "" {
		return in, nil
	}
	data, err := os.ReadFile(j.spool)
	if err != nil {
		return in, fmt.Errorf("jobs: read the input of job %s: %w", j.snapshot().ID, err)
	}
	if j.snapshot().Kind == KindText {
		in.Text = string(data)
	} else {
		in.Data = data
	}
	return in, nil
}

// resumable reports whether the job can run again after a restart: a
// URL, or an input that is spooled.
func (j *job) resumable() bool {
	if j.snapshot().Kind == KindURL {
		return true
	}
	if j.spool == "" {
		return false
	}
	_, err := os.Stat(j.spool)
	return err == nil
}

func (q *Queue) removeSpool(j *job) {
	if j.spool != "" {
		os.Remove(j.spool)
	}
}

// removeFiles removes a job's state and spool files.
func (q *Queue) removeFiles(id string) {
	os.Remove(q.file(id))
	os.Remove(q.spoolFile(id))
}

// removeStraySpools removes spool files of jobs that ended or are gone
// (the process stopped between ending a job and removing its input).
func (q *Queue) removeStraySpools() {
	des, err := os.ReadDir(q.cfg.Dir)
	if err != nil {
		return
	}
	for _, de := range des {
		id, ok := strings.CutSuffix(de.Name(), spoolExt)
		if !ok || de.IsDir() {
			continue
		}
		if j, known := q.byID[id]; !known || j.snapshot().Finished() {
			os.Remove(filepath.Join(q.cfg.Dir, de.Name()))
		}
	}
}
