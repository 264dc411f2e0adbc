package server

import (
	"strings"
	"sync"
	"testing"
)

// BenchmarkHub_Broadcast200 measures a room change reaching 200 connected
// WebSocket clients over loopback: render once, queue, write, read.
func BenchmarkHub_Broadcast200(b *testing.B) {
	const n = 200
	hs := newHarness(b, nil)
	got := make(chan struct{}, n)
	var wg sync.WaitGroup
	for range n {
		c, _ := hs.connect(b, "ther-token")
		wg.Add(1)
		go func() { // ends when the cleanup closes c
			defer wg.Done()
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if strings.HasPrefix(string(msg), `{"type":"room"`) {
					got <- struct{}{}
				}
			}
		}()
	}
	b.Cleanup(wg.Wait) // runs after the connections' cleanups close them
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		hs.s.RoomChanged("Room A")
		for range n {
			<-got
		}
	}
}

// BenchmarkHub_Flush200 measures the hub's own part of a broadcast: one
// room rendered in both views and queued to 200 clients.
func BenchmarkHub_Flush200(b *testing.B) {
	hs := newHarness(b, nil)
	hs.stop(b) // drive the hub's methods from here instead
	h := &hub{s: hs.s, queue: queueLen, dirty: hs.s.hub.dirty, clients: map[*client]struct{}{}, rooms: map[string]*roomCache{}}
	var cs []*client
	for i := range 200 {
		c := &client{caller: therapist, send: make(chan []byte, 1), quit: make(chan struct{})}
		if i%10 == 0 {
			c.caller = patientA
		}
		h.clients[c] = struct{}{}
		cs = append(cs, c)
	}
	h.render("room-a")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.dirty["room-a"].Store(true)
		h.flush()
		for _, c := range cs {
			<-c.send
		}
	}
}
