package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"attune/media"
)

// serveLines runs Serve over the given request lines and returns the lines
// it wrote and its error.
func serveLines(tb testing.TB, ctx context.Context, requests ...string) ([]response, error) {
	tb.Helper()
	var out strings.Builder
	err := Serve(ctx, strings.NewReader(strings.Join(requests, "\n")), &out, fakeProbe)
	var resps []response
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, maxResponse)
	for sc.Scan() {
		var r response
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("response %q: %v", sc.Text(), err)
		}
		resps = append(resps, r)
	}
	return resps, err
}

func reqLine(tb testing.TB, id uint64, path string) string {
	tb.Helper()
	b, err := json.Marshal(request{ID: id, Path: []byte(path)})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestServe_protocol(t *testing.T) {
	resps, err := serveLines(t, context.Background(),
		reqLine(t, 1, "/m/ok-1"), reqLine(t, 2, "/m/panic-2"), reqLine(t, 3, "/m/invalid-3"), reqLine(t, 4, "/m/ok-4"))
	if err != nil {
		t.Fatalf("Serve: got %v, want nil at the end of input", err)
	}
	if len(resps) != 5 {
		t.Fatalf("got %d lines, want a hello and 4 answers: %+v", len(resps), resps)
	}
	if !resps[0].Ready {
		t.Errorf("first line: got %+v, want a hello", resps[0])
	}
	for i, r := range resps[1:] {
		if r.ID != uint64(i+1) {
			t.Errorf("answer %d: got id %d, want %d", i, r.ID, i+1)
		}
	}
	if r := resps[2]; r.Error == nil || string(r.Error.Message) != "decoder panic: bad frame 2" || r.Info != nil {
		t.Errorf("panic answer: got %+v, want error %q", r, "decoder panic: bad frame 2")
	}
	if r := resps[3]; r.Error == nil || len(r.Error.Kinds) != 1 || r.Error.Kinds[0] != "invalid" {
		t.Errorf("invalid answer: got %+v, want kind invalid", r)
	}
	if r := resps[4]; r.Info == nil || r.Error != nil {
		t.Errorf("answer after a panic: got %+v, want info", r)
	}
}

func TestServe_badRequest(t *testing.T) {
	resps, err := serveLines(t, context.Background(), "not json", reqLine(t, 1, "/m/ok-1"))
	if err == nil || !strings.Contains(err.Error(), "decode request") {
		t.Errorf("Serve: got %v, want a decode request error", err)
	}
	if len(resps) != 1 {
		t.Errorf("got %d lines, want only the hello", len(resps))
	}
}

func TestServe_cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := serveLines(t, ctx, reqLine(t, 1, "/m/ok-1"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Serve: got %v, want context.Canceled", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestServe_writeFails(t *testing.T) {
	err := Serve(context.Background(), strings.NewReader(""), failWriter{}, fakeProbe)
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Serve: got %v, want it to wrap io.ErrClosedPipe", err)
	}
}

func TestEncodeInfo_nonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(-1)
	in := media.Info{Tags: media.Tags{ReplayGain: media.ReplayGain{TrackGain: &nan, AlbumPeak: &inf}}}
	enc, nonFinite := encodeInfo(in)
	if in.Tags.ReplayGain.TrackGain != &nan || in.Tags.ReplayGain.AlbumPeak != &inf {
		t.Errorf("encodeInfo changed its argument")
	}
	if enc.Tags.ReplayGain.TrackGain != nil || len(nonFinite) != 2 {
		t.Errorf("encodeInfo: got %+v, %v; want NaN and -Inf moved out", enc.Tags.ReplayGain, nonFinite)
	}
	if _, err := json.Marshal(enc); err != nil {
		t.Errorf("encoded info does not marshal: %v", err)
	}
	got, err := decodeInfo(enc, nonFinite)
	if err != nil {
		t.Fatal(err)
	}
	rg := got.Tags.ReplayGain
	if rg.TrackGain == nil || !math.IsNaN(*rg.TrackGain) || rg.AlbumPeak == nil || !math.IsInf(*rg.AlbumPeak, -1) ||
		rg.TrackPeak != nil || rg.AlbumGain != nil {
		t.Errorf("decodeInfo: got %+v, want NaN track gain, -Inf album peak, others absent", rg)
	}
	if _, err := decodeInfo(enc, map[string]string{"volume": "NaN"}); err == nil {
		t.Errorf("decodeInfo with an unknown field: got no error")
	}
}
