package ui

import (
	"fmt"
	"html/template"
	"math"
	"strconv"

	"yardsync/reconcile"
)

// Verdict says why a contract has or lacks access: explain's own sentence
// in English, its reason code and numbers said anew in other languages. A
// code this page does not know falls back to the English sentence.
func (p page) Verdict(ex reconcile.Explanation) template.HTML {
	say, ok := verdicts[p.Lang]
	if !ok {
		return template.HTML(template.HTMLEscapeString(ex.Reason))
	}
	s, ok := say(ex.UID, ex.ReasonCode, ex.ReasonArgs)
	if !ok {
		return template.HTML(template.HTMLEscapeString(ex.Reason))
	}
	return template.HTML(s + stillOnRU(ex.ReasonArgs))
}

// verdicts say a verdict in a language as HTML, and whether they know its code.
var verdicts = map[string]func(uid int64, code string, a reconcile.ReasonArgs) (string, bool){
	"ru": verdictRU,
}

func verdictRU(uid int64, code string, a reconcile.ReasonArgs) (string, bool) {
	switch code {
	case reconcile.ReasonNoContract:
		return fmt.Sprintf("В биллинге нет договора %d, поэтому ключей у него нет.", uid), true
	case reconcile.ReasonConflict:
		return fmt.Sprintf("Биллинг возвращает для договора %d несколько строк (%d): это конфликт, и yardsync оставляет его панели как есть, пока биллинг не исправят.", uid, a.Rows), true
	case reconcile.ReasonNoService:
		return fmt.Sprintf("У договора %d в биллинге нет услуги домофона, поэтому его ключи снимаются с панелей.", uid), true
	case reconcile.ReasonNotPaid:
		return fmt.Sprintf("У договора %d есть услуга домофона, но она не оплачена, поэтому его ключи снимаются с панелей.", uid), true
	case reconcile.ReasonBadFlat:
		return fmt.Sprintf(`Договор %d оплачен, но его квартира «<span class="name">%s</span>» — не число от 1 до 9999, поэтому ключей у него не будет, пока биллинг не исправят.`,
			uid, template.HTMLEscapeString(a.Flat)), true
	case reconcile.ReasonNoKeys:
		return fmt.Sprintf(`Договор %d оплачен, но в <span class="name">SmartYard</span> у него нет ключей (<code>keys_add</code>).`, uid), true
	case reconcile.ReasonNoPanels:
		return fmt.Sprintf("Договор %d оплачен, но его права не ведут ни к одной активной панели (<code>rights_add</code> или дверь, камера которой — панель).", uid), true
	case reconcile.ReasonPaid:
		return fmt.Sprintf(`Договор %d оплачен: %d %s %s быть на %d %s как квартира <span class="name">%s</span>.`, uid,
			a.Keys, ruPlural(a.Keys, "ключ", "ключа", "ключей"), ruPlural(a.Keys, "должен", "должны", "должны"),
			a.Panels, ruPlural(a.Panels, "панели", "панелях", "панелях"), template.HTMLEscapeString(a.Flat)), true
	}
	return "", false
}

// stillOnRU adds what is still on the panels, and the guard holding it.
func stillOnRU(a reconcile.ReasonArgs) string {
	switch {
	case a.StillOn > 0 && a.Guard != nil:
		g := a.Guard
		return fmt.Sprintf(" На панелях ещё остаются его ключи (%d): их удерживает защита — прогон %d снял бы ключи у %d из %d договоров (предел %d: <code>max_revoke</code> %s %%, <code>guard_min</code> %d). Они снимутся при следующем прогоне, который прочитает биллинг верно, или по команде <code>yardsync reconcile --force</code>.",
			a.StillOn, a.HeldRun, g.Revoking, g.Before, g.Limit, percent(g.Share), g.Min)
	case a.StillOn > 0:
		return fmt.Sprintf(" На панелях ещё остаются его ключи (%d): следующий прогон их снимет.", a.StillOn)
	}
	return ""
}

// percent says a share as a percentage, as the guard's message does.
func percent(share float64) string {
	return strconv.FormatFloat(math.Round(share*1000)/10, 'g', -1, 64)
}
