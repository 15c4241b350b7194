// Package metrics exports yardsync's Prometheus metrics and implements
// reconcile.Observer.
package metrics

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"yardsync/reconcile"
)

// Metrics holds every collector on its own registry.
type Metrics struct {
	reg          *prometheus.Registry
	runs         *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	panelOps     *prometheus.CounterVec
	failing      prometheus.Gauge
	guardTrips   prometheus.Counter
	runsGuarded  prometheus.Counter
	lastRun      *prometheus.GaugeVec
	billingQuery *prometheus.HistogramVec
	duplicates   prometheus.Gauge
	calls        *prometheus.CounterVec
}

var (
	_ reconcile.Observer      = (*Metrics)(nil)
	_ reconcile.CallsObserver = (*Metrics)(nil)
)

// New registers every collector.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yardsync_runs_total",
			Help: "Reconcile runs by trigger and status."}, []string{"trigger", "status"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "yardsync_run_duration_seconds",
			Help: "Reconcile run duration.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}, []string{"trigger"}),
		panelOps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yardsync_panel_operations_total",
			Help: "Panel requests by family, operation and result."}, []string{"family", "op", "result"}),
		failing: prometheus.NewGauge(prometheus.GaugeOpts{Name: "yardsync_panels_failing",
			Help: "Panels that failed in the last run."}),
		guardTrips: prometheus.NewCounter(prometheus.CounterOpts{Name: "yardsync_guard_trips_total",
			Help: "Runs whose deletions the guard withheld (kept for old dashboards; see yardsync_runs_guarded_total)."}),
		runsGuarded: prometheus.NewCounter(prometheus.CounterOpts{Name: "yardsync_runs_guarded_total",
			Help: "Runs whose deletions the guard withheld: they would have revoked more contracts than reconcile.guard_min and max_revoke allow."}),
		lastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "yardsync_last_run_keys",
			Help: "Keys added, rebound and deleted by the last run."}, []string{"change"}),
		billingQuery: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "yardsync_billing_query_duration_seconds",
			Help: "Billing query duration by query and result.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"query", "result"}),
		duplicates: prometheus.NewGauge(prometheus.GaugeOpts{Name: "yardsync_billing_duplicate_contracts",
			Help: "Contracts the last full run found with several snapshot rows; their panels are left as they are."}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yardsync_flat_calls_total",
			Help: "Flats whose calls runs turned off (calls_off) and put back as found (calls_on), seen on the panel (reconcile.block_calls)."},
			[]string{"op"}),
	}
	m.reg.MustRegister(m.runs, m.runDuration, m.panelOps, m.failing, m.guardTrips, m.runsGuarded, m.lastRun, m.billingQuery, m.duplicates, m.calls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry at /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// GaugeFunc registers a gauge read at scrape time (keys managed, for example).
func (m *Metrics) GaugeFunc(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// CounterFunc registers a counter read at scrape time (cache hits, for example).
func (m *Metrics) CounterFunc(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// RunDone implements reconcile.Observer.
func (m *Metrics) RunDone(trigger string, s reconcile.Summary, took time.Duration) {
	m.runs.WithLabelValues(trigger, s.Status).Inc()
	m.runDuration.WithLabelValues(trigger).Observe(took.Seconds())
	if s.Guarded {
		m.guardTrips.Inc()
		m.runsGuarded.Inc()
	}
	m.failing.Set(float64(s.FailedPanels))
	m.lastRun.WithLabelValues("added").Set(float64(s.Added))
	m.lastRun.WithLabelValues("rebound").Set(float64(s.Rebound))
	m.lastRun.WithLabelValues("deleted").Set(float64(s.Deleted))
}

// CallsDone implements reconcile.CallsObserver.
func (m *Metrics) CallsDone(off, on int) {
	m.calls.WithLabelValues(reconcile.OpCallsOff).Add(float64(off))
	m.calls.WithLabelValues(reconcile.OpCallsOn).Add(float64(on))
}

// Duplicates implements reconcile.Observer.
func (m *Metrics) Duplicates(n int) { m.duplicates.Set(float64(n)) }

// PanelOp implements reconcile.Observer.
func (m *Metrics) PanelOp(family int, op string, err error) {
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, reconcile.ErrTransient):
		result = "transient"
	default:
		result = "permanent"
	}
	m.panelOps.WithLabelValues(reconcile.Family(family).String(), op, result).Inc()
}

// Progress implements reconcile.Observer; progress is not a metric.
func (m *Metrics) Progress(string, int, int) {}

// BillingQuery records one billing query's duration.
func (m *Metrics) BillingQuery(query string, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.billingQuery.WithLabelValues(query, result).Observe(took.Seconds())
}
