package ui

import (
	"strconv"
	"strings"
)

// The values the store and explain hand over as codes (run statuses and
// triggers, change operations and results, how a contract reaches a panel)
// are said in the page's language; English shows the codes themselves, as
// the command line and the API do. A code the page does not know shows
// itself.
var words = map[string]map[string]string{
	"ru": {
		"status:ok":          "успешно",
		"status:partial":     "частично",
		"status:guarded":     "удержан защитой",
		"status:failed":      "с ошибкой",
		"status:running":     "идёт",
		"trigger:cli":        "командная строка",
		"trigger:cron":       "по расписанию",
		"trigger:api":        "по запросу",
		"trigger:watch":      "изменение в биллинге",
		"trigger:refill":     "ключи пропали с панели",
		"op:add":             "добавление",
		"op:delete":          "удаление",
		"op:rebind":          "перепривязка",
		"op:calls_off":       "звонки отключены",
		"op:calls_on":        "звонки включены",
		"calls:on":           "включены, остаются как есть",
		"calls:off":          "отключены: никто по квартире не оплатил",
		"calls:off_as_found": "были выключены до нас и останутся выключенными",
		"calls:restore":      "следующий прогон вернёт, как было",
		"calls:off_next_run": "отключит следующий прогон: по квартире никто не оплатил",
		"calls:as_is":        "не трогаем",
		"result:ok":          "выполнено",
		"result:failed":      "не удалось",
		"via:right":          "по праву на панель",
		"via:owned":          "ключи остались от прежнего доступа",
		"via:door":           "через дверь %s",
	},
	"en": {
		"calls:on":           "on; left as they are",
		"calls:off":          "off: no contract of the flat here has paid",
		"calls:off_as_found": "were off before yardsync and stay off",
		"calls:restore":      "the next run puts them back as found",
		"calls:off_next_run": "the next run turns them off: no contract of the flat here has paid",
		"calls:as_is":        "left as they are",
		"via:right":          "via its right to the panel",
		"via:owned":          "keys left from an earlier reach",
		"via:door":           "via door %s",
	},
}

func (p page) word(kind, code string) string {
	if s, ok := words[p.Lang][kind+":"+code]; ok {
		return s
	}
	return code
}

// Status names a run status.
func (p page) Status(s string) string { return p.word("status", s) }

// Trigger names what started a run.
func (p page) Trigger(s string) string { return p.word("trigger", s) }

// Op names a change's operation.
func (p page) Op(s string) string { return p.word("op", s) }

// Calls names what becomes of a flat's calls (reconcile.ExplainedCalls.State).
func (p page) Calls(s string) string { return p.word("calls", s) }

// OnOff says a switch.
func (p page) OnOff(on bool) string { return p.T(map[bool]string{true: "on", false: "off"}[on]) }

// Result names a change's result.
func (p page) Result(s string) string { return p.word("result", s) }

// Via says how a contract reaches a panel: "right", "door N" or "owned".
func (p page) Via(v string) string {
	if n, ok := strings.CutPrefix(v, "door "); ok {
		if _, err := strconv.Atoi(n); err == nil {
			return strings.Replace(p.word("via", "door"), "%s", n, 1)
		}
	}
	return p.word("via", v)
}

// ruPlural picks the Russian form of a noun for n: one (1, 21), few (2–4,
// 22–24) or many (0, 5–20, 25...).
func ruPlural(n int, one, few, many string) string {
	n %= 100
	switch {
	case n >= 11 && n <= 14:
		return many
	case n%10 == 1:
		return one
	case n%10 >= 2 && n%10 <= 4:
		return few
	}
	return many
}
