package reconcile

import (
	"fmt"
	"regexp"
	"strings"
)

// Classes of the errors PanelHint knows, as HintClass names them: a caller
// that words its hints itself (the status page, in Russian) keys on them.
const (
	HintAuth    = "auth"    // the panel refuses panellogin/panelpasswd (401, 403)
	HintRefused = "refused" // nothing listens at panelip:port
	HintTimeout = "timeout" // no answer in time, or no route to the panel
	HintFull    = "full"    // the panel refused to add a key: its key table is full
	HintUnkept  = "unkept"  // the panel acknowledged writes it did not keep
	HintLost    = "lost"    // keys the panel held were gone after the session
	HintGuard   = "guard"   // the guard held a run's deletions
	HintBusy    = "busy"    // another run held the panel's lease the whole wait
)

// hintRule is one class of error: the texts that mark it, lower-case, and
// a pattern for a mark no fixed text makes.
type hintRule struct {
	class   string
	marks   []string
	pattern *regexp.Regexp
}

// hintRules are tried in order: the first class whose mark is in the text
// wins. A refused login comes first, since a panel that refuses writes with
// a 401 also shows them as not kept; the guard comes last, since a panel
// error inside a guarded run's report is the more pressing.
var hintRules = []hintRule{
	{HintAuth, []string{"status 401", "status 403", "bad credentials", "unauthorized"}, nil},
	{HintRefused, []string{"connection refused"}, nil},
	{HintTimeout, []string{"timeout", "no answer within", "deadline exceeded", "no route to host", "network is unreachable", "host is unreachable"}, nil},
	// A Beward says only "Request failed" to an add its full table refuses.
	{HintFull, []string{"is full", "table full"}, regexp.MustCompile(`action=add&[^:]*: panel says "request failed"`)},
	{HintUnkept, []string{"not seen on the panel"}, nil},
	{HintLost, []string{"missing after the session"}, nil},
	{HintBusy, []string{"is busy: its lease is held"}, nil},
	{HintGuard, []string{"would revoke", "held by the guard"}, nil},
}

// HintClass names the class of an error text as PanelHint knows it (one of
// the Hint* constants), or "" for an error it has no advice for. Pure: it
// reads only its argument.
func HintClass(errText string) string {
	text := strings.ToLower(errText)
	for _, r := range hintRules {
		for _, m := range r.marks {
			if strings.Contains(text, m) {
				return r.class
			}
		}
		if r.pattern != nil && r.pattern.MatchString(text) {
			return r.class
		}
	}
	return ""
}

// PanelHint is what an operator should do about an error a panel (device
// deviceID; 0 when unknown) or a run reported, in one English sentence, or
// "" when the error is of no class it knows. It takes the error's text, as
// runs, the panel status and the change log keep it. Pure: no I/O.
func PanelHint(deviceID int, errText string) string {
	device := "the panel's device"
	if deviceID > 0 {
		device = fmt.Sprintf("device %d", deviceID)
	}
	switch HintClass(errText) {
	case HintAuth:
		return fmt.Sprintf("The panel refuses yardsync's login: check panellogin and panelpasswd of %s (devices_mod/ or the devices table) against the panel's web account, which must be allowed to write.", device)
	case HintRefused:
		return fmt.Sprintf("Nothing answers at the panel's address: the panel is offline, or panelip of %s or panels.port (and panels.scheme) is wrong.", device)
	case HintTimeout:
		return fmt.Sprintf("The panel is slow or unreachable: check the network to panelip of %s; if it answers, only slowly, raise reconcile.panel_timeout.", device)
	case HintFull:
		return fmt.Sprintf("The panel refused to add a key, most likely because its key table is full: remove keys nobody uses from %s, or move flats to another panel; yardsync's deletions there still went through.", device)
	case HintUnkept:
		return fmt.Sprintf("The panel acknowledged writes it did not keep: check that the account of %s may write and that its firmware saves keys, reboot or update it; the next run tries again.", device)
	case HintLost:
		return fmt.Sprintf("Keys %s held were gone after the session (a reboot, or a table reset): check its power and firmware; the next run puts them back.", device)
	case HintBusy:
		return "Another run or instance worked on this panel for the whole wait: nothing is wrong with the panel; the next run retries it."
	case HintGuard:
		return "The guard held the run's deletions: look at `yardsync reconcile --dry-run` to see why the billing lost so many contracts; if the billing is right, run `yardsync reconcile --force`."
	}
	return ""
}
