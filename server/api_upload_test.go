package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// apiMultipart builds a multipart body of file parts (name → content) in
// order, plus one non-file field.
func apiMultipart(tb testing.TB, files ...[2]string) (*bytes.Buffer, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "ignored"); err != nil {
		tb.Fatal(err)
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f[0])
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.WriteString(w, f[1]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// apiIncomingEmpty fails unless the library's incoming folder holds nothing.
func apiIncomingEmpty(tb testing.TB, lib *apiFakeLibrary) {
	tb.Helper()
	ents, err := os.ReadDir(lib.Incoming())
	if err != nil && !os.IsNotExist(err) {
		tb.Fatalf("read incoming: %v", err)
	}
	if len(ents) != 0 {
		tb.Errorf("incoming holds %d entries (%s…), want none", len(ents), ents[0].Name())
	}
}

type apiUploadReply struct {
	Results []uploadResult `json:"results"`
	Summary map[string]int `json:"summary"`
}

func TestServer_postTracks(t *testing.T) {
	e := newAPIEnv(t)
	e.lib.maxFile = 64
	body, ct := apiMultipart(t,
		[2]string{"../../Open Sky.flac", "AUDIO one"},
		[2]string{"again.flac", "AUDIO one"},
		[2]string{"notes.txt", "hello"},
		[2]string{"huge.wav", "AUDIO " + strings.Repeat("x", 100)},
		[2]string{"Open Sky.flac", "AUDIO two"},
	)
	st, b, _ := e.do(t, apiAdminToken, "POST", "/api/tracks", body, ct)
	if st != http.StatusOK {
		t.Fatalf("upload: got %d %s, want 200", st, b)
	}
	var got apiUploadReply
	apiDecode(t, b, &got)
	want := []struct{ name, status, code string }{
		{"Open Sky.flac", "added", ""},
		{"again.flac", "exists", ""},
		{"notes.txt", "rejected", CodeBadRequest},
		{"huge.wav", "rejected", CodeTooLarge},
		{"Open Sky.flac", "added", ""},
	}
	if len(got.Results) != len(want) {
		t.Fatalf("results: got %d (%s), want %d", len(got.Results), b, len(want))
	}
	for i, w := range want {
		r := got.Results[i]
		if r.Name != w.name || r.Status != w.status || r.Code != w.code || (r.Track != nil) != (w.status != "rejected") {
			t.Errorf("result %d: got %+v, want %s %s %q with a track unless rejected", i, r, w.name, w.status, w.code)
		}
	}
	if got.Results[1].Track == nil || got.Results[0].Track == nil || got.Results[1].Track.ID != got.Results[0].Track.ID {
		t.Errorf("the duplicate's track is not the first file's")
	}
	if got.Results[2].Error == "" || !strings.Contains(got.Results[3].Error, "64-byte") {
		t.Errorf("errors: got %q and %q, want the reason and the size limit", got.Results[2].Error, got.Results[3].Error)
	}
	if s := got.Summary; s["added"] != 2 || s["exists"] != 1 || s["rejected"] != 2 {
		t.Errorf("summary: got %v, want 2 added, 1 exists, 2 rejected", s)
	}
	// The oversize file never reached the import; the others did, named as sent.
	if n := len(e.lib.imported); n != 4 {
		t.Errorf("imported %d files, want 4", n)
	}
	for _, u := range e.lib.imported {
		if strings.Contains(u.Name, "/") || !strings.HasPrefix(u.Path, e.lib.Incoming()) {
			t.Errorf("upload %+v: want a base name, in the incoming folder", u)
		}
	}
	apiIncomingEmpty(t, e.lib)
}

func TestServer_postTracks_errors(t *testing.T) {
	e := newAPIEnv(t, func(d *Deps) { d.MaxUpload = 4096 })

	st, b, _ := e.do(t, apiAdminToken, "POST", "/api/tracks", strings.NewReader(`{}`), "application/json")
	apiWantError(t, "not multipart", st, b, http.StatusBadRequest, CodeBadRequest)

	body, ct := apiMultipart(t)
	st, b, _ = e.do(t, apiAdminToken, "POST", "/api/tracks", body, ct)
	apiWantError(t, "no files", st, b, http.StatusBadRequest, CodeBadRequest)

	body, ct = apiMultipart(t, [2]string{"a.flac", "AUDIO a"}, [2]string{"big.flac", "AUDIO " + strings.Repeat("x", 5000)})
	st, b, _ = e.do(t, apiAdminToken, "POST", "/api/tracks", body, ct)
	apiWantError(t, "request over the limit", st, b, http.StatusRequestEntityTooLarge, CodeTooLarge)
	if len(e.lib.imported) != 0 {
		t.Errorf("an oversize request imported %d files, want none", len(e.lib.imported))
	}
	apiIncomingEmpty(t, e.lib)

	body, ct = apiMultipart(t, [2]string{"a.flac", "AUDIO a"})
	st, b, _ = e.do(t, apiTherapistToken, "POST", "/api/tracks", body, ct)
	apiWantError(t, "therapist", st, b, http.StatusForbidden, CodeForbidden)
}

// TestServer_postTracks_aborted sends half an upload and hangs up: the
// handler must end and leave nothing in the incoming folder.
func TestServer_postTracks_aborted(t *testing.T) {
	e := newAPIEnv(t)
	full, ct := apiMultipart(t, [2]string{"a.flac", "AUDIO " + strings.Repeat("a", 200_000)},
		[2]string{"b.flac", "AUDIO " + strings.Repeat("b", 200_000)})
	half := full.Bytes()[:full.Len()/2]

	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "POST /api/tracks HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		u.Host, apiAdminToken, ct, full.Len())
	if _, err := w.Write(half); err != nil {
		t.Fatalf("write half: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	// Wait until the server has started writing the first file, so that
	// the abort happens mid-upload and not before the handler runs.
	for !apiIncomingHasFile(t, e.lib.Incoming()) {
		time.Sleep(time.Millisecond)
	}
	conn.Close()
	select {
	case <-e.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the upload handler did not return after the client hung up")
	}
	if len(e.lib.imported) != 0 {
		t.Errorf("an aborted upload imported %d files, want none", len(e.lib.imported))
	}
	apiIncomingEmpty(t, e.lib)
}

// apiIncomingHasFile reports whether any file exists under dir.
func apiIncomingHasFile(tb testing.TB, dir string) bool {
	tb.Helper()
	found := false
	_ = apiWalkFiles(dir, func() { found = true })
	return found
}

func apiWalkFiles(dir string, fn func()) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			_ = apiWalkFiles(dir+"/"+e.Name(), fn)
			continue
		}
		fn()
	}
	return nil
}

func TestUploadName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"song.flac", "song.flac"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\Music\track 1.mp3`, "track 1.mp3"},
		{".hidden.wav", "hidden.wav"},
		{"a\x00b\nc.ogg", "abc.ogg"},
		{"", "upload"},
		{"..", "upload"},
		{strings.Repeat("é", 150) + ".flac", strings.Repeat("é", 97) + ".flac"},
	} {
		if got := uploadName(c.in); got != c.want {
			t.Errorf("uploadName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
