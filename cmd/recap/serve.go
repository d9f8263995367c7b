package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/server"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Shutdown budget: StartOS kills the service 30 s after SIGTERM; Recap
// is gone within 25 s.
const (
	shutdownHTTP = 5 * time.Second  // for requests in flight
	shutdownJobs = 15 * time.Second // for running recaps to finish
)

// Connection caps: per peer address (a trusted proxy has only the total
// one) and overall.
const (
	maxConnsPerPeer = 64
	maxConns        = 1024
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the web app",
		Description: `Serves the web app and its JSON API. Reads DATA/start9/config.yaml (a
missing file means the defaults), writes the Properties page to
DATA/start9/stats.yaml, and keeps recaps in DATA/history.

On first start it makes an owner password, prints it and shows it on the
Properties page until you change it. RECAP_OWNER_PASSWORD sets it instead.

Examples:
  recap serve --data /data
  recap serve --dev --data ./data --listen 127.0.0.1:8080`,
		Flags: []cli.Flag{
			dataFlag(),
			&cli.StringFlag{Name: "listen", Value: "0.0.0.0:8080", EnvVars: []string{"RECAP_LISTEN"}, Usage: "address and port to serve on"},
			&cli.BoolFlag{Name: "dev", Usage: "development: allow sign-in over plain HTTP (only with a loopback --listen address)"},
		},
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	data, listen, dev := c.String("data"), c.String("listen"), c.Bool("dev")
	if dev && !loopbackListen(listen) {
		return badInput("--dev needs a loopback --listen address such as 127.0.0.1:8080, not %q", listen)
	}
	var down teardown
	defer down.run()
	cfg, log, err := prepareData(c, data, &down)
	if err != nil {
		return err
	}
	start := time.Now()
	w, queue, engine, engineNames, err := openRecapping(c.Context, data, cfg, log)
	if err != nil {
		return err
	}
	// Multi mode: mail still queued goes out, then the store writes its
	// last session uses, checkpoints the WAL and closes (w.close).
	down.add(w.close)
	down.add(func() {
		jctx, cancel := context.WithTimeout(context.Background(), shutdownJobs)
		defer cancel()
		if err := queue.Shutdown(jctx); err != nil {
			log.Warn("stopped recaps that were still running; they are marked failed")
		}
		w.props.write()
	})
	checker, err := newFollowChecker(data, cfg, w, queue, log)
	if err != nil {
		return err
	}
	proxies, err := cfg.Advanced.Proxies()
	if err != nil {
		return usageError{err}
	}
	opt := w.server
	opt.Mode, opt.Version, opt.Jobs, opt.TrustedProxies = cfg.Mode.Type, version, queue, proxies
	opt.MaxUpload, opt.Engines, opt.Dev, opt.Log, opt.Changed = int64(cfg.Advanced.MaxUploadMB)<<20, engineNames, dev, log, w.props.write
	opt.Follows, opt.FollowTrigger, opt.FollowDigest = checker, followTrigger(data), cfg.Advanced.FollowDigest
	opt.UploadDir, opt.Fetch = filepath.Join(data, "cache", "uploads"), fetchOptions(cfg)
	srv, err := server.New(opt)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --listen)", listen, err)
	}
	hs := newHTTPServer(srv, cfg, log)
	ln = server.LimitListener(ln, maxConnsPerPeer, maxConns, proxies)
	// Loading the index leaves garbage behind; hand it back to the system
	// now rather than whenever the collector gets to it.
	debug.FreeOSMemory()
	log.Info("recap started", "version", version, "mode", cfg.Mode.Type, "engine", engine.Name(), "model", cfg.Engine.Model, "listen", ln.Addr().String(),
		"recaps", w.recaps(), "startup_ms", time.Since(start).Milliseconds())
	printStarted(c.App.Writer, ln.Addr().String(), dev, w)

	// No new jobs from follows while the queue stops.
	down.add(startFollowing(data, checker))
	down.add(func() {
		hctx, cancel := context.WithTimeout(context.Background(), shutdownHTTP)
		defer cancel()
		if err := hs.Shutdown(hctx); err != nil {
			hs.Close()
		}
	})
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop()
	log.Info("stopping")
	down.run()
	log.Info("stopped")
	return nil
}

// prepareData takes the data folder for this process (released by
// down), finishes what an interrupted run left, and loads the config and
// the logger it asks for.
func prepareData(c *cli.Context, data string, down *teardown) (*config.Config, *slog.Logger, error) {
	// The data folder is this process's while it runs: Restore Backup
	// refuses to replace it under a running service.
	release, err := startos.LockDataFolder(data)
	if err != nil {
		return nil, nil, err
	}
	down.add(release)
	// Finish an interrupted restore or mode switch first: both change the
	// config. Then .backupignore and DATA/start9.
	if err := startos.PrepareVolume(data); err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(data)
	if err != nil {
		return nil, nil, usageError{err}
	}
	log := newLogger(c, cfg.Advanced.LogLevel)
	slog.SetDefault(log)
	if n := removeStaleTemps(data); n > 0 {
		log.Info("removed temporary files left by an interrupted run", "files", n)
	}
	return cfg, log, nil
}

// newHTTPServer is the HTTP server of the app, with its timeouts; its
// shutdown closes srv's event streams.
func newHTTPServer(srv *server.Server, cfg *config.Config, log *slog.Logger) *http.Server {
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		// Each route shortens this to its own body limit (server.BodyTimeout).
		ReadTimeout: server.BodyTimeout(int64(cfg.Advanced.MaxUploadMB)<<20 + 1<<20),
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(srv.Close)
	return hs
}

// printStarted tells the person who started serve where to go and how
// to sign in.
func printStarted(out io.Writer, addr string, dev bool, w *wiring) {
	fmt.Fprintf(out, "Recap is running at %s\n", displayURL(addr))
	if !dev {
		fmt.Fprintln(out, "(sign-in cookies are Secure: open it over HTTPS or a .onion address; --dev allows plain HTTP on loopback)")
	}
	w.banner(out)
}

// openRecapping wires the mode and opens the job queue with the
// configured engine (and builtin beside an LLM engine): what serve runs
// and what recap follow check uses when no service is running.
func openRecapping(ctx context.Context, data string, cfg *config.Config, log *slog.Logger) (*wiring, *jobs.Queue, summarize.Engine, []string, error) {
	// The mode is the wiring: which library, which sign-in, which routes.
	var w *wiring
	var err error
	if cfg.Mode.Type == config.ModeMulti {
		w, err = wireMulti(ctx, data, cfg, log)
	} else {
		w, err = wireSingle(data, cfg, log)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// The configured engine is the default; with an LLM engine, builtin
	// stays available as the second choice of each job.
	engine, err := serveEngine(cfg, w, log)
	if err != nil {
		w.close()
		return nil, nil, nil, nil, err
	}
	engineNames := []string{engine.Name()}
	others := map[string]summarize.Engine{}
	if engine.Name() != config.EngineBuiltin {
		engineNames = append(engineNames, config.EngineBuiltin)
		others[config.EngineBuiltin] = summarize.NewBuiltin()
	}
	queue, err := jobs.Open(jobs.Config{
		Dir:         filepath.Join(data, "jobs"),
		Concurrency: cfg.Advanced.JobConcurrency,
		Engine:      engine,
		Engines:     others,
		Options:     fetchOptions(cfg),
		Library:     w.saver,
		Meter:       w.meter,
		OnDone:      func(*recap.Document) { w.props.write() },
		Log:         log,
	})
	if err != nil {
		w.close()
		return nil, nil, nil, nil, err
	}
	return w, queue, engine, engineNames, nil
}

// fetchOptions are the transcript options of the config: limits, the
// YouTube base URL, and in multi mode no fetches from private addresses.
func fetchOptions(cfg *config.Config) transcript.Options {
	return transcript.Options{
		MaxBytes:        int64(cfg.Advanced.MaxUploadMB) << 20,
		MaxDuration:     time.Duration(cfg.Advanced.MaxDurationHours) * time.Hour,
		MaxWords:        cfg.Advanced.MaxWords,
		MaxWordsPerHour: cfg.Advanced.MaxWordsPerHour,
		YouTubeBaseURL:  strings.TrimRight(cfg.Advanced.YouTubeBaseURL, "/"),
		YTDLPPath:       cfg.Advanced.YTDLPPath,
		// Accounts must not make the server fetch from its own network.
		PublicOnly: cfg.Mode.Type == config.ModeMulti,
	}
}

func newLogger(c *cli.Context, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: l}))
}

// loopbackListen reports whether a listen address only accepts
// connections from this machine.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// displayURL is the address to open in a browser.
func displayURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// serveEngine builds the configured engine; the relay engine uses the
// mode's relay (single mode makes one just for recaps).
func serveEngine(cfg *config.Config, w *wiring, log *slog.Logger) (summarize.Engine, error) {
	if cfg.Engine.Type != config.EngineRelay {
		e, err := summarize.FromConfig(cfg.Engine, summarize.LLMOptions{Log: log})
		if err != nil {
			return nil, usageError{err}
		}
		return e, nil
	}
	if w.relay == nil {
		rel, err := newInstanceRelay(cfg.Relay, nil, log)
		if err != nil {
			return nil, err
		}
		w.relay = rel
	}
	return w.relay.engine(log)
}

// removeStaleTemps removes the temporary files of atomic writes that a
// kill -9 interrupted, in the data folder, its subfolders and the users'
// recap folders (two levels down), before anything writes there.
// Snapshots under backups/ are left alone.
func removeStaleTemps(data string) int {
	n := 0
	filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(data, path)
		if rel == "backups" || strings.Count(rel, string(filepath.Separator)) >= 2 {
			return filepath.SkipDir
		}
		n += atomicfile.Clean(path)
		return nil
	})
	return n
}
