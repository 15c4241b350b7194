package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"yardsync/reconcile"
)

// TestSyncWaitAnswer: a sync/ with wait that answered before its run ended
// says so (status running) and lists the panels still in progress; a run
// that ended has no pending list at all.
func TestSyncWaitAnswer(t *testing.T) {
	t.Parallel()
	answers := map[int64]reconcile.SyncAnswer{
		1001: {Summary: reconcile.Summary{RunID: 7, Status: reconcile.StatusRunning, Panels: 2, Deleted: 1}, Pending: []int{12}},
		1002: {Summary: reconcile.Summary{RunID: 8, Status: reconcile.StatusRunning}, Pending: []int{}},
		1003: {Summary: reconcile.Summary{RunID: 9, Status: reconcile.StatusOK, Panels: 2, Deleted: 2}},
	}
	syncer := &fakeSyncer{SyncFn: func(uid int64, wait bool) (reconcile.SyncAnswer, error) { return answers[uid], nil }}
	s := newServer(t, func(o *Options) { o.Billing, o.Syncer = &fakeBilling{}, syncer })
	cases := map[string]string{
		"1001": `{"run_id":7,"status":"running","panels":2,"failed_panels":0,"added":0,"rebound":0,"deleted":1,"guarded":false,"pending":[12]}`,
		"1002": `{"run_id":8,"status":"running","panels":0,"failed_panels":0,"added":0,"rebound":0,"deleted":0,"guarded":false,"pending":[]}`,
		"1003": `{"run_id":9,"status":"ok","panels":2,"failed_panels":0,"added":0,"rebound":0,"deleted":2,"guarded":false}`,
	}
	for uid, want := range cases {
		out := s.must(http.StatusOK, "sync", `{"uid": `+uid+`, "wait": true}`)
		var wantMap map[string]any
		if err := json.Unmarshal([]byte(want), &wantMap); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(out)
		if wantJSON, _ := json.Marshal(wantMap); string(got) != string(wantJSON) {
			t.Errorf("uid %s: got %s, want %s", uid, got, wantJSON)
		}
	}
}
