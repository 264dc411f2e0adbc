package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

func readAll(tb testing.TB) map[string]string {
	tb.Helper()
	files := map[string]string{}
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		tb.Fatalf("walk the embedded files: %v", err)
	}
	return files
}

func TestFS_Pages(t *testing.T) {
	files := readAll(t)
	for _, name := range []string{"console.html", "tablet.html", "pair.html", "login.html", "setup.html", "admin.html", "app.css", "ws.js", "api.js", "timeline.js", "admin.js", "admin.css"} {
		if _, ok := files[name]; !ok {
			t.Errorf("FS() lacks %s", name)
		}
	}
}

// Every asset a page or module names must be embedded: a missing one is a
// blank page in the clinic, found only in a browser.
func TestFS_ReferencesResolve(t *testing.T) {
	files := readAll(t)
	ref := regexp.MustCompile(`(?:src|href)="/static/([^"]+)"|from '/static/([^']+)'`)
	for name, body := range files {
		if !strings.HasSuffix(name, ".html") && !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range ref.FindAllStringSubmatch(body, -1) {
			target := m[1] + m[2]
			if _, ok := files[target]; !ok {
				t.Errorf("%s names /static/%s: got no such file, want it embedded", name, target)
			}
		}
	}
}

// The pages' Content-Security-Policy allows no inline script or style; any
// would silently not run.
func TestFS_NoInlineCode(t *testing.T) {
	inline := []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle="`),
		regexp.MustCompile(`\son[a-z]+="`), // onclick= and friends
	}
	for name, body := range readAll(t) {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		for _, re := range inline {
			if loc := re.FindStringIndex(body); loc != nil {
				t.Errorf("%s: got inline code %q, want none (CSP blocks it)", name, body[loc[0]:min(loc[1]+20, len(body))])
			}
		}
		if !strings.Contains(body, `<script type="module" src="/static/`) {
			t.Errorf("%s: got no module script, want one", name)
		}
		if !strings.Contains(body, `<html lang="en">`) {
			t.Errorf("%s: got no lang attribute, want <html lang=\"en\">", name)
		}
	}
}

// Every form control on a page has a label a screen reader can announce.
func TestFS_ControlsLabelled(t *testing.T) {
	input := regexp.MustCompile(`<(input|select)\s[^>]*id="([^"]+)"[^>]*>`)
	for name, body := range readAll(t) {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		for _, m := range input.FindAllStringSubmatch(body, -1) {
			id := m[2]
			labelled := strings.Contains(body, `for="`+id+`"`) || strings.Contains(m[0], "aria-label")
			if !labelled {
				// a control wrapped in its label: <label ...><input id=...> text</label>
				i := strings.Index(body, m[0])
				open := strings.LastIndex(body[:i], "<label")
				close := strings.LastIndex(body[:i], "</label>")
				labelled = open > close
			}
			if !labelled {
				t.Errorf("%s: <%s id=%q> has no label", name, m[1], id)
			}
		}
	}
}
