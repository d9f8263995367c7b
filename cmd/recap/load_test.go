package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/mail/mailtest"
)

// The sign-in flood load test runs the real binary on loopback and
// measures what a real visitor sees while 200 connections send wrong
// passwords (single mode) or link requests (multi mode) from ever-new
// addresses, through a trusted proxy on loopback (so neither the per-peer
// connection cap nor one client's budget stops the flood early). It takes about a
// few minutes, so it runs only when RECAP_LOAD is set:
//
//	RECAP_LOAD=1 go test -run TestSignInFlood -v ./cmd/recap
//
// Each mode is flooded twice: as fast as the 200 connections go (the
// client and the server then share the machine's cores), and paced at
// the rate of the outside review's flood (10,908 requests in 20 s, about
// 545 a second), which is what the 20 ms target for a real request is
// about. The figures are kept in docs/perf.md.

const (
	floodConns    = 200
	floodFor      = 15 * time.Second
	baselineFor   = 5 * time.Second
	probeInterval = 25 * time.Millisecond
	// reviewRate is the outside review's flood: 10,908 requests in 20 s.
	reviewRate = 10908.0 / 20
)

func TestSignInFlood(t *testing.T) {
	if os.Getenv("RECAP_LOAD") == "" {
		t.Skip("load test: set RECAP_LOAD=1 (see docs/perf.md)")
	}
	t.Run("single mode, wrong passwords", func(t *testing.T) {
		v := newTestVolume(t)
		cfg := specConfig(t, nil)
		cfg["advanced"].(map[string]any)["trusted-proxies"] = []string{"127.0.0.1/32"}
		v.writeConfig(cfg)
		pw, _ := v.action("reset-owner-password", "")["value"].(string)
		srv := v.serve()
		defer v.stop(srv)
		base := "http://" + v.addr
		session := loginOwner(t, base, pw)
		probes := map[string]func(*http.Client) (int, error){
			"GET /": func(c *http.Client) (int, error) { return get(c, base+"/", session) },
		}
		flood := func(c *http.Client, i int) (int, error) {
			return postForm(c, base+"/login", url.Values{"password": {"wrong " + strconv.Itoa(i)}},
				map[string]string{"X-Forwarded-For": floodAddr(i)})
		}
		runFlood(t, srv, probes, flood)
	})
	t.Run("multi mode, link requests", func(t *testing.T) {
		v := newTestVolume(t)
		smtp := mailtest.Start(t, mailtest.Options{})
		base := "http://" + v.addr
		cfg := specConfig(t, map[string]string{"mode": "multi", "smtp": "custom"})
		mode, mail, adv := cfg["mode"].(map[string]any), cfg["smtp"].(map[string]any), cfg["advanced"].(map[string]any)
		mode["admin-email"], mode["public-url"] = "owner@example.org", base
		mail["host"], mail["port"], mail["security"], mail["from"] = smtp.Host, smtp.Port, "none", "recap@example.org"
		adv["trusted-proxies"] = []string{"127.0.0.1/32"}
		v.writeConfig(cfg)
		srv := v.serve()
		defer v.stop(srv)
		r := v.action("admin-login-link", "")
		link, _ := url.Parse(r["value"].(string))
		session := confirmLink(t, base, link.Query().Get("token"))
		probes := map[string]func(*http.Client) (int, error){
			"GET /": func(c *http.Client) (int, error) { return get(c, base+"/", session) },
			"POST /auth/request-link": func(c *http.Client) (int, error) {
				return postForm(c, base+"/auth/request-link", url.Values{"email": {"real.person@example.org"}},
					map[string]string{"X-Forwarded-For": "203.0.113.250"})
			},
		}
		flood := func(c *http.Client, i int) (int, error) {
			return postForm(c, base+"/auth/request-link", url.Values{"email": {fmt.Sprintf("flood%d@example.org", i)}},
				map[string]string{"X-Forwarded-For": floodAddr(i)})
		}
		runFlood(t, srv, probes, flood)
	})
}

// runFlood measures the probes alone, then under the flood, and logs
// the percentiles, the flood's answers and the server's peak memory.
func runFlood(t *testing.T, srv *exec.Cmd, probes map[string]func(*http.Client) (int, error), flood func(*http.Client, int) (int, error)) {
	t.Helper()
	probeClient := &http.Client{Timeout: 30 * time.Second, CheckRedirect: noRedirect}
	measure := func(d time.Duration) map[string][]time.Duration {
		out := map[string][]time.Duration{}
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			for name, p := range probes {
				start := time.Now()
				code, err := p(probeClient)
				if err != nil || code >= 500 {
					t.Errorf("%s: %d %v", name, code, err)
				}
				out[name] = append(out[name], time.Since(start))
			}
			time.Sleep(probeInterval)
		}
		return out
	}
	report := func(label string, got map[string][]time.Duration) {
		for name, ds := range got {
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			t.Logf("%s %-24s n=%4d p50=%6.1f ms p99=%6.1f ms max=%6.1f ms", label, name, len(ds),
				ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), ms(ds[len(ds)-1]))
		}
	}
	report("alone", measure(baselineFor))

	for _, rate := range []float64{0, reviewRate} {
		floodWith(t, srv, measure, report, flood, rate)
	}
}

// floodWith runs the flood from floodConns connections, unpaced (rate 0)
// or at rate requests a second in all, while measuring the probes.
func floodWith(t *testing.T, srv *exec.Cmd, measure func(time.Duration) map[string][]time.Duration, report func(string, map[string][]time.Duration), flood func(*http.Client, int) (int, error), rate float64) {
	t.Helper()
	label := "flood"
	var every time.Duration
	if rate > 0 {
		label = fmt.Sprintf("flood at %.0f/s", rate)
		every = time.Duration(float64(floodConns) / rate * float64(time.Second))
	}
	tr := &http.Transport{MaxConnsPerHost: floodConns, MaxIdleConnsPerHost: floodConns}
	floodClient := &http.Client{Transport: tr, Timeout: 30 * time.Second, CheckRedirect: noRedirect}
	var sent atomic.Int64
	var mu sync.Mutex
	codes := map[int]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range floodConns {
		wg.Go(func() {
			var tick <-chan time.Time
			if every > 0 {
				time.Sleep(time.Duration(rand.Int64N(int64(every)))) // spread the connections out
				tk := time.NewTicker(every)
				defer tk.Stop()
				tick = tk.C
			}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if tick != nil {
					select {
					case <-stop:
						return
					case <-tick:
					}
				}
				code, _ := flood(floodClient, i*1_000_000+n)
				sent.Add(1)
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	time.Sleep(time.Second) // let the flood build up
	got := measure(floodFor)
	close(stop)
	wg.Wait()
	report(label, got)
	t.Logf("%s: %d requests in %s from %d connections, answers %v", label, sent.Load(), floodFor+time.Second, floodConns, codes)
	t.Logf("server peak memory (VmHWM): %s", peakMemory(srv.Process.Pid))
}

// floodAddr is a random address in 198.18.0.0/15 (the benchmarking
// range): the flood comes from ever-new clients, each with a full budget,
// through the trusted proxy on loopback.
func floodAddr(int) string {
	return fmt.Sprintf("198.%d.%d.%d", 18+rand.IntN(2), rand.IntN(256), rand.IntN(256))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func get(c *http.Client, u string, session *http.Cookie) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if session != nil {
		req.AddCookie(session)
	}
	return send(c, req)
}

func postForm(c *http.Client, u string, form url.Values, header map[string]string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return send(c, req)
}

func send(c *http.Client, req *http.Request) (int, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func loginOwner(t *testing.T, base, pw string) *http.Cookie {
	t.Helper()
	resp, err := (&http.Client{CheckRedirect: noRedirect}).PostForm(base+"/login", url.Values{"password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return c
		}
	}
	t.Fatalf("login: %d, no cookie", resp.StatusCode)
	return nil
}

func confirmLink(t *testing.T, base, token string) *http.Cookie {
	t.Helper()
	resp, err := (&http.Client{CheckRedirect: noRedirect}).PostForm(base+"/auth/verify", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return c
		}
	}
	t.Fatalf("confirm: %d, no cookie", resp.StatusCode)
	return nil
}

// peakMemory reads the peak resident set of a process from /proc.
func peakMemory(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
