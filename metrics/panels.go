package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"yardsync/reconcile"
)

// panelUp is yardsync_panel_up{device_id}: 1 when the panel's last contact
// worked and its writes are good, 0 when either failed or it was never
// reached (reconcile.PanelStatus.Failing). One series per active panel,
// read from the store's panel status at scrape time.
var panelUp = prometheus.NewDesc("yardsync_panel_up",
	"1 when the panel's last contact worked and its writes are good, 0 when either failed or it was never reached.",
	[]string{"device_id"}, nil)

// panelsUnkept is yardsync_panels_not_keeping_writes: the panels whose last
// write session's writes were not seen on them afterwards, or lost keys
// they held (reconcile.HintUnkept, HintLost), from the same read.
var panelsUnkept = prometheus.NewDesc("yardsync_panels_not_keeping_writes",
	"Panels whose last write session's writes, acknowledged, were not seen on them afterwards (or keys they held were lost).",
	nil, nil)

// PanelStatuses reads each panel's last known status.
type PanelStatuses func(ctx context.Context, failingOnly bool) ([]reconcile.PanelStatus, error)

type panelCollector struct{ read PanelStatuses }

// Panels registers yardsync_panel_up and yardsync_panels_not_keeping_writes,
// read through read at each scrape.
func (m *Metrics) Panels(read PanelStatuses) {
	m.reg.MustRegister(panelCollector{read: read})
}

func (c panelCollector) Describe(ch chan<- *prometheus.Desc) { ch <- panelUp; ch <- panelsUnkept }

func (c panelCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := c.read(ctx, false)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(panelUp, err)
		ch <- prometheus.NewInvalidMetric(panelsUnkept, err)
		return
	}
	unkept := 0
	for _, p := range list {
		up := 1.0
		if p.Failing() {
			up = 0
		}
		if class := reconcile.HintClass(p.LastError); class == reconcile.HintUnkept || class == reconcile.HintLost {
			unkept++
		}
		ch <- prometheus.MustNewConstMetric(panelUp, prometheus.GaugeValue, up, strconv.Itoa(p.DeviceID))
	}
	ch <- prometheus.MustNewConstMetric(panelsUnkept, prometheus.GaugeValue, float64(unkept))
}
