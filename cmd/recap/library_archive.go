package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
)

// recap library export --all: the whole library as one zip archive
// (library.WriteArchive). In single mode it is the owner's folder; in
// multi mode --user names whose library.

// folderSource is single mode's library as an archive source.
type folderSource struct{ lib *library.Library }

func (f folderSource) Find(_ context.Context, q library.Query) (library.Page, error) {
	return f.lib.Find(q), nil
}

func (f folderSource) Get(_ context.Context, id string) (*recap.Document, error) {
	return f.lib.Get(id)
}

// userSource is one user's library in multi mode.
type userSource struct {
	lib *store.UserLibrary
	uid string
}

func (u userSource) Find(ctx context.Context, q library.Query) (library.Page, error) {
	return u.lib.Find(ctx, u.uid, q)
}

func (u userSource) Get(ctx context.Context, id string) (*recap.Document, error) {
	return u.lib.Get(ctx, u.uid, id)
}

func runExportAll(c *cli.Context) error {
	if c.NArg() != 0 {
		return badInput("--all exports every recap; give no recap ID")
	}
	out := c.String("output")
	if out == "" {
		return badInput("--all writes a zip archive: give --output FILE (or --output - for standard output)")
	}
	src, done, err := archiveSource(c)
	if err != nil {
		return err
	}
	defer done()
	var w io.Writer = c.App.Writer
	var f *os.File
	if out != "-" {
		if st, err := os.Stat(out); err == nil && st.IsDir() {
			out = filepath.Join(out, "recap-library-"+time.Now().UTC().Format("2006-01-02")+".zip")
		}
		// Written beside the target and renamed at the end, so a failed
		// export never leaves a truncated archive under the name asked for.
		if f, err = os.CreateTemp(filepath.Dir(out), ".recap-export-*"); err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		w = f
	}
	idx, err := library.WriteArchive(c.Context, w, src, time.Now())
	if err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(f.Name(), out); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "wrote %s: %d recaps", out, len(idx.Recaps))
	if n := len(idx.Problems); n > 0 {
		fmt.Fprintf(c.App.ErrWriter, " (%d could not be read; see index.json)", n)
	}
	fmt.Fprintln(c.App.ErrWriter)
	return nil
}

// archiveSource opens the library to export: --user's in multi mode
// (when given), else the single-mode folder.
func archiveSource(c *cli.Context) (library.ArchiveSource, func(), error) {
	if c.String("user") == "" {
		lib, err := openLibraryWarn(c)
		if err != nil {
			return nil, nil, err
		}
		return folderSource{lib}, func() {}, nil
	}
	st, err := openStore(c)
	if err != nil {
		return nil, nil, err
	}
	u, err := findUserArg(c, st, c.String("user"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return userSource{lib: st.Library(filepath.Join(c.String("data"), "history")), uid: u.ID}, func() { st.Close() }, nil
}

// findUserArg looks a user up by address or id.
func findUserArg(c *cli.Context, st *store.Store, arg string) (*store.User, error) {
	u, err := st.UserByEmail(c.Context, arg)
	if errors.Is(err, store.ErrNotFound) {
		u, err = st.UserByID(c.Context, arg)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, badInput("no user %s (see recap user list)", arg)
	}
	return u, err
}
