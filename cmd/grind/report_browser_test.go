package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/grindbench/grindbench/results"
)

// chromiumPath finds a headless-capable Chromium. Without one the browser
// tests skip, except under CI=true, where a missing browser fails them
// (.ci/run installs Debian's chromium).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (looked for chromium, chromium-browser, google-chrome); CI=true requires it: apt-get install -y chromium")
	}
	t.Skip("no Chromium found; install it (apt-get install -y chromium) to run the browser test")
	return ""
}

// newBrowser starts headless Chromium for one test and returns a tab's
// context. The flags keep a machine without network quiet: no background
// networking, component updates, sync or QUIC. chromedp gives the browser
// a fresh user-data-dir and removes it when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel) // runs before cancel: stops the browser and waits for it
	tctx, tcancel := chromedp.NewContext(actx)
	t.Cleanup(tcancel)
	if err := chromedp.Do(tctx); err != nil { // start the browser now
		t.Fatalf("start Chromium: %v", err)
	}
	return tctx
}

// imageState is what the page reports about one <img>.
type imageState struct {
	Alt      string  `json:"alt"`
	Scheme   string  `json:"scheme"`
	Complete bool    `json:"complete"`
	Natural  int     `json:"naturalWidth"`
	Shown    float64 `json:"shownWidth"`
}

// pageState is what the page reports about itself once loaded.
type pageState struct {
	Title     string       `json:"title"`
	Images    []imageState `json:"images"`
	Tables    int          `json:"tables"`
	Sections  []string     `json:"sections"`
	Resources []string     `json:"resources"` // every resource fetched (none for a self-contained page)
	Height    float64      `json:"height"`
}

const pageStateJS = `(() => ({
	title: document.title,
	images: Array.from(document.images).map(i => ({
		alt: i.alt,
		scheme: i.src.slice(0, i.src.indexOf(':')),
		complete: i.complete,
		naturalWidth: i.naturalWidth,
		shownWidth: i.getBoundingClientRect().width,
	})),
	tables: document.querySelectorAll('table').length,
	sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
	resources: performance.getEntriesByType('resource').map(r => r.name),
	height: document.documentElement.scrollHeight,
}))()`

// TestReportInBrowser opens the report of a real (tiny) experiment in
// headless Chromium from a file:// URL and checks what a reader would see:
// every image has loaded, nothing was fetched from outside the page, the
// console stayed free of errors and exceptions, and the expected sections
// are there. It writes a full-page screenshot to the test's temp dir (and
// to $GRIND_REPORT_SCREENSHOT when set, to look at it).
func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := newBrowser(t) // first: without a browser there is no point running the experiment
	dir, built := newResultsFolder(t)
	page, err := results.WriteReport(dir, built)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}

	// Collect console messages (console API calls, uncaught exceptions and
	// browser log entries such as failed loads) from before navigation on.
	cctx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(cctx)
	var (
		mu    sync.Mutex
		msgs  []chromedp.ConsoleMessage
		ended = make(chan struct{})
	)
	go func() {
		defer close(ended)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
	}()

	if err := chromedp.Do(ctx, chromedp.Navigate(u.String())); err != nil {
		t.Fatalf("open %s: %v", u.String(), err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](pageStateJS))
	if err != nil {
		t.Fatalf("inspect page: %v", err)
	}

	// One image per plot Build wrote (PNG and SVG of a plot are one image).
	stems := map[string]bool{}
	for _, f := range built.Files {
		if ext := filepath.Ext(f); ext == ".png" || ext == ".svg" {
			stems[strings.TrimSuffix(f, ext)] = true
		}
	}
	if len(state.Images) != len(stems) || len(stems) == 0 {
		t.Errorf("%d images on the page, want %d (one per plot)", len(state.Images), len(stems))
	}
	for _, im := range state.Images {
		if !im.Complete || im.Natural <= 0 || im.Shown <= 0 {
			t.Errorf("image %q did not load or is not shown: %+v", im.Alt, im)
		}
		if im.Scheme != "data" {
			t.Errorf("image %q is not embedded (scheme %q)", im.Alt, im.Scheme)
		}
	}
	if len(state.Resources) > 0 {
		t.Errorf("the page fetched resources, want none (self-contained): %q", state.Resources)
	}
	if state.Tables < 5 { // 4 metric tables + pretraining
		t.Errorf("%d tables, want at least 5", state.Tables)
	}
	for _, s := range []string{"question", "pretraining", "config", "provenance"} {
		if !slices.Contains(state.Sections, s) {
			t.Errorf("section %q missing (have %q)", s, state.Sections)
		}
	}
	nres := 0
	for _, s := range state.Sections {
		if strings.HasPrefix(s, "sec-") {
			nres++
		}
	}
	if nres < 2 {
		t.Errorf("%d sections of results, want at least 2 (have %q)", nres, state.Sections)
	}
	if !strings.Contains(state.Title, "tiny") {
		t.Errorf("title %q", state.Title)
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shotPath := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("GRIND_REPORT_SCREENSHOT"); p != "" {
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(shot) < 10000 {
		t.Errorf("screenshot of %d bytes: blank page?", len(shot))
	}
	t.Logf("page %.0f px tall, %d images, %d tables; screenshot %s (%d bytes)", state.Height, len(state.Images), state.Tables, shotPath, len(shot))

	// A probe message proves the console is being listened to; once it
	// arrives, every earlier message has too.
	const probe = "grind-report-test-probe"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`console.log("`+probe+`")`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := slices.ContainsFunc(msgs, func(m chromedp.ConsoleMessage) bool { return m.Text == probe })
		mu.Unlock()
		if got {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the console probe never arrived: console messages are not being captured")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopConsole()
	<-ended
	for _, m := range msgs {
		switch {
		case m.Text == probe:
		case m.Type == chromedp.ConsoleError || m.IsException():
			t.Errorf("console %s (%s:%d)", m, m.URL, m.Line)
		default:
			t.Logf("console %s", m)
		}
	}
}
