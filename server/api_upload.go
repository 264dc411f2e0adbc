package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"attune/media"
)

// fileSizeLimiter is implemented by a Library that bounds the size of one
// file; uploads stop a file at that size rather than import it.
type fileSizeLimiter interface{ MaxFileSize() int64 }

// uploadResult is one uploaded file's outcome (docs/api.md, POST /api/tracks).
type uploadResult struct {
	Name   string     `json:"name"`
	Status string     `json:"status"`
	Error  string     `json:"error"`
	Code   string     `json:"code"`
	Track  *trackJSON `json:"track"`
}

// received is one file part of an upload as it landed on disk.
type received struct {
	name string // the sanitised base name the browser gave
	path string // "" when the file was not kept
	res  *uploadResult
}

func (s *Server) postTracks(w http.ResponseWriter, r *http.Request, _ Caller) {
	lib := s.d.Library
	if lib == nil {
		writeError(w, unavailable("library"))
		return
	}
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, s.d.MaxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, errorf(CodeBadRequest, "want a multipart/form-data body with file parts: %v", err))
		return
	}
	incoming, err := filepath.Abs(lib.Incoming())
	if err == nil {
		err = os.MkdirAll(incoming, 0o750)
	}
	if err != nil {
		writeError(w, s.toError("prepare the upload folder", err))
		return
	}
	// One folder per request, removed whatever happens: an upload that
	// fails or is aborted half-way leaves nothing behind.
	dir, err := os.MkdirTemp(incoming, "upload-")
	if err != nil {
		writeError(w, s.toError("prepare the upload folder", err))
		return
	}
	defer os.RemoveAll(dir)

	files, e := s.receive(ctx, mr, dir)
	if e != nil {
		writeError(w, e)
		return
	}
	if len(files) == 0 {
		writeError(w, errorf(CodeBadRequest, "no file parts: send each file as a part named \"file\""))
		return
	}
	var ups []Upload
	for _, f := range files {
		if f.path != "" {
			ups = append(ups, Upload{Name: f.name, Path: f.path})
		}
	}
	var results []media.Result
	if len(ups) > 0 {
		if results, err = lib.Import(ctx, ups); err != nil {
			writeError(w, s.apiError("import the uploaded files", err))
			return
		}
	}
	out, e := s.uploadResults(ctx, files, results)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// receive streams every "file" part of mr into its own file under dir.
// A file over the library's size limit is stopped there and reported; the
// request's own limit, a broken body or the client going away fail it all.
func (s *Server) receive(ctx context.Context, mr *multipart.Reader, dir string) ([]received, *Error) {
	limit := s.d.MaxUpload
	if l, ok := s.d.Library.(fileSizeLimiter); ok && l.MaxFileSize() > 0 {
		limit = l.MaxFileSize()
	}
	var files []received
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, uploadReadError(ctx, err)
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		f := received{name: uploadName(part.FileName())}
		// Each file in a folder of its own keeps the browser's name (the
		// import reports it) without two files of one name colliding.
		sub := filepath.Join(dir, strconv.Itoa(len(files)))
		if err := os.Mkdir(sub, 0o750); err != nil {
			part.Close()
			return nil, s.toError("prepare the upload folder", err)
		}
		path := filepath.Join(sub, f.name)
		n, err := saveLimited(path, part, limit)
		part.Close()
		switch {
		case err != nil:
			var fe *fsError
			if errors.As(err, &fe) {
				return nil, s.toError("store an uploaded file", err)
			}
			return nil, uploadReadError(ctx, err)
		case n > limit:
			os.Remove(path)
			f.res = &uploadResult{Name: f.name, Status: string(media.StatusRejected), Code: CodeTooLarge,
				Error: fmt.Sprintf("the file is over the %s size limit", byteSize(limit))}
		default:
			f.path = path
		}
		files = append(files, f)
	}
}

// fsError marks a failure to write the temporary file (the server's
// problem), as opposed to one reading the request (the client's).
type fsError struct{ err error }

func (e *fsError) Error() string { return e.err.Error() }
func (e *fsError) Unwrap() error { return e.err }

// saveLimited copies at most limit+1 bytes of r to a new file at path and
// returns how many it copied: more than limit means the file is too large
// (and the rest of the part is left for the multipart reader to skip).
func saveLimited(path string, r io.Reader, limit int64) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return 0, &fsError{fmt.Errorf("create %s: %w", path, err)}
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); cerr != nil && err == nil {
		return n, &fsError{fmt.Errorf("write %s: %w", path, cerr)}
	}
	return n, err
}

// uploadReadError explains a failure reading the request body.
func uploadReadError(ctx context.Context, err error) *Error {
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return errorf(CodeTooLarge, "the upload is over the %s request limit; send fewer files at once", byteSize(big.Limit))
	case ctx.Err() != nil:
		return errorf(CodeBadRequest, "the upload was aborted: %v", ctx.Err())
	}
	return errorf(CodeBadRequest, "reading the upload failed: %v", err)
}

// uploadResults pairs the import's results with the files received, in the
// order they were sent.
func (s *Server) uploadResults(ctx context.Context, files []received, results []media.Result) (map[string]any, *Error) {
	byPath := make(map[string]media.Result, len(results))
	for _, res := range results {
		byPath[res.Path] = res
	}
	out := make([]uploadResult, 0, len(files))
	sum := map[string]int{"added": 0, "exists": 0, "rejected": 0}
	for _, f := range files {
		ur := f.res
		if ur == nil {
			res, ok := byPath[f.path]
			if !ok {
				res = media.Result{Status: media.StatusRejected, Error: "the import did not report this file"}
			}
			ur = &uploadResult{Name: f.name, Status: string(res.Status), Error: res.Error}
			switch res.Status {
			case media.StatusAdded, media.StatusExists, media.StatusUpdated:
				t, err := s.d.Library.Track(ctx, res.ID)
				if err != nil {
					return nil, s.apiError("read an imported track", err)
				}
				tj := newTrackJSON(t)
				ur.Track = &tj
			default:
				ur.Code = CodeBadRequest
			}
		}
		sum[ur.Status]++
		out = append(out, *ur)
	}
	return map[string]any{"results": out, "summary": sum}, nil
}

// uploadName is a safe base name for an uploaded file: no folders, no
// control characters, not hidden, at most 200 bytes.
func uploadName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' || r == 0 {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	for len(name) > 200 {
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = truncateUTF8(strings.TrimSuffix(name, ext), 200-len(ext)) + ext
	}
	if name == "" {
		return "upload"
	}
	return name
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// byteSize is n bytes for people.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d-byte", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
