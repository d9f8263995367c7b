package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/transcript"
)

func followCommand() *cli.Command {
	userFlag := &cli.StringFlag{Name: "user", Usage: "multi mode: the account (email address or id) whose follows these are"}
	flags := func(more ...cli.Flag) []cli.Flag { return append([]cli.Flag{dataFlag(), userFlag}, more...) }
	return &cli.Command{
		Name:  "follow",
		Usage: "follow podcasts and YouTube channels: their new episodes are recapped by themselves",
		Description: `A followed podcast feed, YouTube channel (/@handle, /channel/ID, or any
video of the channel) or playlist is read every few hours
(advanced.follow-interval-hours); each item that appears after the follow
began is recapped into the library like a link you pasted. --last N also
recaps the N newest items already out. An item without captions yet is
tried again for two days, then reported. A feed that keeps failing is
marked broken and left alone until resumed.

recap serve does the checking. recap follow check asks the running service
to check every follow now, or, when no service runs, checks them itself
and waits for the recaps. In multi mode --user names the account, and
serve also mails the daily or weekly digest of new recaps to those who
chose one on the Following page (advanced.follow-digest for the others).

Examples:
  recap follow add --data ./data https://feeds.example.org/show.xml
  recap follow add --data ./data --last 2 https://www.youtube.com/@channel
  recap follow list --data ./data
  recap follow pause --data ./data FOLLOW_ID
  recap follow remove --data ./data FOLLOW_ID
  recap follow check --data ./data`,
		Subcommands: []*cli.Command{
			{Name: "add", Usage: "follow a podcast feed, YouTube channel or playlist", ArgsUsage: "URL",
				Flags:  flags(&cli.IntFlag{Name: "last", Usage: fmt.Sprintf("also recap the N newest items already out (0-%d)", follow.MaxBackfill)}),
				Action: runFollowAdd},
			{Name: "list", Usage: "list the follows with their last and next check", Flags: flags(&cli.BoolFlag{Name: "json", Usage: "print the follows as JSON"}),
				Action: runFollowList},
			{Name: "remove", Usage: "stop following (recaps already made stay)", ArgsUsage: "FOLLOW_ID", Flags: flags(),
				Action: runFollowRemove},
			{Name: "pause", Usage: "stop checking a follow for now", ArgsUsage: "FOLLOW_ID", Flags: flags(),
				Action: func(c *cli.Context) error { return runFollowPause(c, true) }},
			{Name: "resume", Usage: "check a paused or broken follow again", ArgsUsage: "FOLLOW_ID", Flags: flags(),
				Action: func(c *cli.Context) error { return runFollowPause(c, false) }},
			{Name: "check", Usage: "check every follow now", Flags: []cli.Flag{dataFlag()}, Action: runFollowCheck},
		},
	}
}

// followTrigger is the file that asks a running service for a check.
func followTrigger(data string) string { return filepath.Join(data, "follows.check") }

// followLimits are the config's bounds on follows.
func followLimits(cfg *config.Config) follow.Limits {
	return follow.Limits{
		Interval: time.Duration(cfg.Advanced.FollowHours) * time.Hour,
		PerUser:  cfg.Advanced.MaxFollows,
		PerDay:   cfg.Advanced.FollowRecapsPerDay,
	}
}

// followsFile is where single mode keeps the owner's follows.
func followsFile(data string) string { return filepath.Join(data, "follows.json") }

// followsOf is the follow store of a mode: a file in single mode, the
// database in multi mode.
func followsOf(data string, st *store.Store) (follow.Store, error) {
	if st != nil {
		return &follow.SQLStore{DB: st}, nil
	}
	return follow.OpenFileStore(followsFile(data))
}

// newFollowChecker makes the checker of the mode's follows for serve
// and puts the follows on the Properties page.
func newFollowChecker(data string, cfg *config.Config, w *wiring, queue *jobs.Queue, log *slog.Logger) (*follow.Checker, error) {
	var db *store.Store
	if w.server.Multi != nil {
		db = w.server.Multi.Store
	}
	fs, err := followsOf(data, db)
	if err != nil {
		return nil, err
	}
	checker := &follow.Checker{Store: fs, Jobs: queue, Options: fetchOptions(cfg), Limits: followLimits(cfg), Log: log}
	w.props.follows = func() (int, time.Time, error) {
		all, err := fs.All(context.Background())
		return len(all), checker.LastPass(), err
	}
	return checker, nil
}

// startFollowing runs the checker beside serve and returns its stop,
// which waits for the pass under way; it is safe to call twice.
func startFollowing(data string, checker *follow.Checker) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		checker.Run(ctx, follow.Tick, followTrigger(data))
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

// followCLI is what a follow subcommand works on.
type followCLI struct {
	cfg   *config.Config
	store follow.Store
	owner string
	close func()
}

// openFollowCLI loads the config and opens the mode's follow store; in
// multi mode --user names the owner.
func openFollowCLI(c *cli.Context) (*followCLI, error) {
	data := c.String("data")
	cfg, err := config.Load(data)
	if err != nil {
		return nil, usageError{err}
	}
	user := strings.TrimSpace(c.String("user"))
	if cfg.Mode.Type != config.ModeMulti {
		if user != "" {
			return nil, badInput("--user is for multi mode; this Recap runs in single mode, where follows are the owner's")
		}
		fs, err := followsOf(data, nil)
		if err != nil {
			return nil, err
		}
		return &followCLI{cfg: cfg, store: fs, close: func() {}}, nil
	}
	if user == "" {
		return nil, badInput("multi mode: name the account with --user EMAIL")
	}
	st, err := openStore(c)
	if err != nil {
		return nil, err
	}
	var u *store.User
	if strings.Contains(user, "@") {
		u, err = st.UserByEmail(c.Context, user)
	} else {
		u, err = st.UserByID(c.Context, user)
	}
	if err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, badInput("no user %s (see recap user list)", user)
		}
		return nil, err
	}
	fs, _ := followsOf(data, st)
	return &followCLI{cfg: cfg, store: fs, owner: u.ID, close: func() { st.Close() }}, nil
}

func runFollowAdd(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("give one link: a podcast feed, a YouTube channel (/@handle, /channel/ID or a video of it) or a playlist")
	}
	fc, err := openFollowCLI(c)
	if err != nil {
		return err
	}
	defer fc.close()
	checker := &follow.Checker{Store: fc.store, Options: fetchOptions(fc.cfg), Limits: followLimits(fc.cfg), Log: slog.New(slog.DiscardHandler)}
	f, err := checker.Add(c.Context, fc.owner, c.Args().First(), c.Int("last"))
	switch {
	case errors.Is(err, follow.ErrExists):
		return badInput("you follow %s already (recap follow list)", c.Args().First())
	case errors.Is(err, follow.ErrTooMany), errors.Is(err, follow.ErrBackfill), transcript.IsBadInput(err):
		return badInput("%v", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(c.App.Writer, "Following %s (%s) as %s.\n", f.Title, f.Kind, f.ID)
	what := "New items are recapped from now on"
	if f.Backfill > 0 {
		what = fmt.Sprintf("The %d newest items and every new one are recapped", f.Backfill)
	}
	fmt.Fprintf(c.App.Writer, "%s, checked every %d hours by recap serve.\n", what, fc.cfg.Advanced.FollowHours)
	return nil
}

// followJSON is a follow as recap follow list --json prints it.
type followJSON struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	Link      string `json:"link"`
	Paused    bool   `json:"paused"`
	Broken    bool   `json:"broken"`
	LastCheck string `json:"last_check,omitempty"`
	NextCheck string `json:"next_check,omitempty"`
	LastError string `json:"last_error,omitempty"`
	Unread    int    `json:"unread"`
	Notice    string `json:"notice,omitempty"`
}

func runFollowList(c *cli.Context) error {
	fc, err := openFollowCLI(c)
	if err != nil {
		return err
	}
	defer fc.close()
	fs, err := fc.store.List(c.Context, fc.owner)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		out := make([]followJSON, 0, len(fs))
		for _, f := range fs {
			out = append(out, followJSON{ID: f.ID, Kind: f.Kind, Title: f.Title, Link: f.Link, Paused: f.Paused, Broken: f.Broken,
				LastCheck: rfc3339(f.LastCheck), NextCheck: rfc3339(f.NextCheck), LastError: f.LastError, Unread: f.Unread, Notice: f.Notice})
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(fs) == 0 {
		fmt.Fprintln(c.App.Writer, "No follows yet; add one with recap follow add URL.")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tTITLE\tLAST CHECK\tNEXT CHECK\tNEW\tSTATE")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", f.ID, f.Kind, clipTitle(f.Title), orDash(minuteOf(f.LastCheck)), nextOf(f), f.Unread, followState(f))
	}
	tw.Flush()
	for _, f := range fs {
		if f.Notice != "" {
			fmt.Fprintf(c.App.Writer, "%s: %s\n", f.ID, f.Notice)
		}
	}
	return nil
}

func clipTitle(s string) string {
	if r := []rune(s); len(r) > 48 {
		return string(r[:47]) + "…"
	}
	return s
}

func minuteOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func nextOf(f follow.Follow) string {
	if f.Paused || f.Broken {
		return "-"
	}
	return minuteOf(f.NextCheck)
}

// followState says in a few words how a follow is doing.
func followState(f follow.Follow) string {
	switch {
	case f.Paused:
		return "paused"
	case f.Broken:
		return "broken: " + f.LastError
	case f.LastError != "":
		return "failing: " + f.LastError
	case f.LastOK.IsZero():
		return "not checked yet"
	}
	return "ok"
}

func followID(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", badInput("give one follow id (see recap follow list)")
	}
	return strings.TrimSpace(c.Args().First()), nil
}

func runFollowRemove(c *cli.Context) error {
	id, err := followID(c)
	if err != nil {
		return err
	}
	fc, err := openFollowCLI(c)
	if err != nil {
		return err
	}
	defer fc.close()
	f, err := fc.store.Get(c.Context, fc.owner, id)
	if err == nil {
		err = fc.store.Remove(c.Context, fc.owner, id)
	}
	if errors.Is(err, follow.ErrNotFound) {
		return badInput("no follow %s (see recap follow list)", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "No longer following %s; its recaps stay in the library.\n", f.Title)
	return nil
}

func runFollowPause(c *cli.Context, paused bool) error {
	id, err := followID(c)
	if err != nil {
		return err
	}
	fc, err := openFollowCLI(c)
	if err != nil {
		return err
	}
	defer fc.close()
	err = fc.store.SetPaused(c.Context, fc.owner, id, paused, time.Now())
	if errors.Is(err, follow.ErrNotFound) {
		return badInput("no follow %s (see recap follow list)", id)
	}
	if err != nil {
		return err
	}
	if paused {
		fmt.Fprintf(c.App.Writer, "Paused %s.\n", id)
	} else {
		fmt.Fprintf(c.App.Writer, "Resumed %s; it is checked within a minute.\n", id)
	}
	return nil
}

// runFollowCheck asks the running service for a check of every follow,
// or, when none runs, makes the check itself and waits for its recaps.
func runFollowCheck(c *cli.Context) error {
	msg, err := checkFollowsNow(c)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, msg)
	return nil
}

// actionCheckFollows is the Check Follows Now action.
func actionCheckFollows(c *cli.Context) error {
	if err := startos.DecodeInput(c.App.Reader, &struct{}{}); err != nil {
		return badInput("%v", err)
	}
	msg, err := checkFollowsNow(c)
	if err != nil {
		return err
	}
	return startos.Result("%s", msg).Write(c.App.Writer)
}

// checkFollowsNow checks every follow that is not paused: through the
// running service when there is one, else here, waiting for the recaps.
func checkFollowsNow(c *cli.Context) (string, error) {
	data := c.String("data")
	release, err := startos.LockDataFolder(data)
	if errors.Is(err, startos.ErrInUse) {
		if err := follow.RequestCheck(followTrigger(data)); err != nil {
			return "", err
		}
		return "Asked the running Recap to check every follow; it starts within a few seconds, and new episodes appear in the library as they are recapped.", nil
	}
	if err != nil {
		return "", err
	}
	defer release()
	cfg, err := config.Load(data)
	if err != nil {
		return "", usageError{err}
	}
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, queue, _, _, err := openRecapping(c.Context, data, cfg, log)
	if err != nil {
		return "", err
	}
	defer w.close()
	defer queue.Shutdown(context.Background())
	var db *store.Store
	if w.server.Multi != nil {
		db = w.server.Multi.Store
	}
	fs, err := followsOf(data, db)
	if err != nil {
		return "", err
	}
	checker := &follow.Checker{Store: fs, Jobs: queue, Options: fetchOptions(cfg), Limits: followLimits(cfg), Log: log}
	rep, err := checker.Pass(c.Context, true)
	if err != nil {
		return "", err
	}
	recapped, err := checker.Wait(c.Context)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Checked %d feeds (%d unchanged, %d failed): %d new items, %d recapped.",
		rep.Checked, rep.Unchanged, rep.Failed, rep.Found, rep.Recapped+recapped), nil
}

// digestEvery decides and sends the digest mails now and then every
// interval, until the returned function is called; that function waits
// for a running scan.
func digestEvery(d *follow.Digests, interval time.Duration, log *slog.Logger) (stop func()) {
	return every(interval, func(ctx context.Context) {
		rep, err := d.Run(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("follow digests", "error", err)
		case rep.Queued+rep.Sent+rep.Failed+rep.Dropped > 0:
			log.Info("follow digests", "queued", rep.Queued, "sent", rep.Sent, "failed", rep.Failed, "dropped", rep.Dropped, "waiting", rep.Waiting)
		}
	})
}
