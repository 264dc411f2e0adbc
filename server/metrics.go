package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the daemon's Prometheus metrics, on their own registry (no
// global state). cmd/attune feeds the rooms' figures in; the server counts
// its clients and commands.
type Metrics struct {
	reg       *prometheus.Registry
	Sessions  prometheus.Gauge
	Listeners *prometheus.GaugeVec   // room
	Clients   *prometheus.GaugeVec   // role
	Underruns *prometheus.CounterVec // room, kind: item (an item started late), engine (fell behind), sink (a device ran dry)
	Commands  *prometheus.HistogramVec
	Dropped   prometheus.Counter // WebSocket clients dropped for being too slow
}

// NewMetrics returns the metrics on a fresh registry with the Go runtime's
// and the process's collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		Sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "attune_sessions_live", Help: "Sessions running now, across rooms."}),
		Listeners: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "attune_stream_listeners", Help: "Clients listening to a room's stream."}, []string{"room"}),
		Clients: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "attune_websocket_clients", Help: "Connected WebSocket clients by role."}, []string{"role"}),
		Underruns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "attune_underruns_total", Help: "Audio underruns: an item started late (item), the engine fell behind (engine), a device ran dry (sink)."},
			[]string{"room", "kind"}),
		Commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "attune_command_seconds", Help: "Time from a control command's arrival to its reply.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}}, []string{"type"}),
		Dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "attune_websocket_dropped_total", Help: "WebSocket clients dropped because they could not keep up."}),
	}
	m.reg.MustRegister(m.Sessions, m.Listeners, m.Clients, m.Underruns, m.Commands, m.Dropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ Caller) {
	s.d.Metrics.Handler().ServeHTTP(w, r)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ Caller) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "rooms": len(s.ids), "protocol": Protocol})
}
