package ui

import (
	"net/http"
	"strconv"
	"strings"
)

// texts holds every string the pages show, by language and key. English is
// the default; a key missing in a language falls back to English.
var texts = map[string]map[string]string{
	"en": {
		"title": "yardsync status", "login": "Log in", "logout": "Log out", "username": "Username", "password": "Password",
		"bad_login": "Invalid username or password.", "too_many_logins": "Too many failed logins: wait a little and try again.",
		"csrf_refused":    "The form has expired or did not come from this page: reload it and try again.",
		"session_expired": "Your session has expired: log in again.", "not_found": "No such page.",
		"internal": "Something went wrong on our side; the log says what.", "unavailable": "Billing is not configured on this instance.",
		"bad_id": "Not a panel id.", "no_panel": "No such panel.",
		"overview": "Overview", "panels": "Panels", "failing_first": "Panels, failing first", "runs": "Last runs", "search": "Contract search",
		"panel": "Panel", "family": "Family", "ip": "Address", "last_contact": "Last contact", "last_ok": "Last OK",
		"last_error": "Last error", "keys": "Keys on panel", "managed": "Managed keys", "state": "State",
		"ok": "OK", "failing": "failing", "never": "never",
		"skipped": "Skipped lines", "skipped_note": "%d entries on the panel could not be parsed: yardsync leaves them as they are.",
		"run": "Run", "trigger": "Trigger", "started": "Started", "finished": "Finished", "status": "Status",
		"added": "Added", "rebound": "Rebound", "deleted": "Deleted", "failed_panels": "Failed panels", "error": "Error",
		"held_by_guard": "Held by the guard: run", "held_would_revoke": "would revoke", "held_of": "of", "held_limit": "limit",
		"held_what": "Their keys stay on the panels until a run reads the billing right.",
		"no_runs":   "No runs yet.", "no_panels": "No panels.", "running": "running",
		"sync_panel": "Sync this panel", "sync_done": "Run %s finished: %s.", "sync_failed": "The run could not be made:",
		"no_sync":    "Runs are not available on this instance (billing not configured).",
		"panel_keys": "Keys", "code": "Code", "flat": "Flat", "uid": "Contract", "owned": "Owned", "on_panel": "On panel",
		"live_failed": "The panel could not be read now:", "no_keys": "No keys.",
		"calls_of_flat": "Calls of flat", "calls_off_flats": "Flats whose calls yardsync turned off", "calls_found": "as yardsync found them", "handset": "handset", "sip": "SIP", "on": "on", "off": "off",
		"changes": "Recent changes", "at": "Time", "op": "Operation", "result": "Result", "no_changes": "No changes logged.",
		"yes": "yes", "no": "no", "unknown": "unknown", "sync_running": "Run %d is still going; its outcome will be in the list of runs.",
		"query": "contract uid, phone or key", "by_auto": "recognise", "by_uid": "by contract uid", "by_phone": "by phone", "by_key": "by key", "find": "Find",
		"bad_uid": "A contract uid is a positive number.", "no_contracts": "No contract has this phone.",
		"bad_query": "Type a contract uid, a phone or a key.", "bad_phone": "Not a phone number: want 10 or 11 digits.",
		"bad_key": "A key is 1 to 14 hex digits.", "no_key_holders": "No contract holds this key.",
		"searched_uid": "Searched by contract uid.", "searched_phone": "Searched by phone.", "searched_key": "Searched by key",
		"what_to_do": "What to do:", "panel_n": "Panel %d:", "failed_list": "Failed panels:", "more": "and %d more",
		"sync_done_ok": "Run %s finished: ok.", "sync_done_partial": "Run %s finished: partial: some panels were not brought in line.",
		"sync_done_guarded": "Run %s finished: guarded: its deletions were held.", "sync_done_failed": "Run %s finished: failed.",
		"billing_row": "Billing", "found": "found", "cams_open": "intercom service", "cams_paid": "paid",
		"active": "Access", "reason": "Why", "wanted": "Wanted", "last_change": "Last change",
		"role_no_page": "This account is the billing's (role billing): it has no status page.",
		"role_refused": "Your role may not do this.",
	},
	"ru": {
		"title": "Состояние yardsync", "login": "Войти", "logout": "Выйти", "username": "Пользователь", "password": "Пароль",
		"bad_login": "Неверное имя пользователя или пароль.", "too_many_logins": "Слишком много неудачных попыток входа: подождите и попробуйте снова.",
		"csrf_refused":    "Форма устарела или отправлена не с этой страницы: обновите страницу и попробуйте снова.",
		"session_expired": "Сеанс истёк: войдите снова.", "not_found": "Такой страницы нет.",
		"internal": "Ошибка на нашей стороне; подробности в журнале.", "unavailable": "На этом экземпляре не настроен биллинг.",
		"bad_id": "Это не номер панели.", "no_panel": "Такой панели нет.",
		"overview": "Обзор", "panels": "Панели", "failing_first": "Панели, сначала неисправные", "runs": "Последние прогоны", "search": "Поиск договора",
		"panel": "Панель", "family": "Тип", "ip": "Адрес", "last_contact": "Последняя связь", "last_ok": "Последний успех",
		"last_error": "Последняя ошибка", "keys": "Ключей на панели", "managed": "Наших ключей", "state": "Состояние",
		"ok": "исправна", "failing": "неисправна", "never": "никогда",
		"skipped": "Пропущено строк", "skipped_note": "Записей на панели, которые не удалось разобрать: %d. yardsync их не трогает.",
		"run": "Прогон", "trigger": "Причина", "started": "Начало", "finished": "Конец", "status": "Итог",
		"added": "Добавлено", "rebound": "Перепривязано", "deleted": "Удалено", "failed_panels": "Панелей с ошибкой", "error": "Ошибка",
		"held_by_guard": "Удаление остановлено защитой: прогон", "held_would_revoke": "снял бы ключи у", "held_of": "из", "held_limit": "предел",
		"held_what": "Их ключи остаются на панелях, пока прогон не прочитает биллинг верно.",
		"no_runs":   "Прогонов ещё не было.", "no_panels": "Панелей нет.", "running": "идёт",
		"sync_panel": "Синхронизировать панель", "sync_done": "Прогон %s завершён: %s.", "sync_failed": "Прогон запустить не удалось:",
		"no_sync":    "Прогоны на этом экземпляре недоступны (биллинг не настроен).",
		"panel_keys": "Ключи", "code": "Код", "flat": "Квартира", "uid": "Договор", "owned": "Наш", "on_panel": "На панели",
		"live_failed": "Панель сейчас не читается:", "no_keys": "Ключей нет.",
		"calls_of_flat": "Звонки в квартиру", "calls_off_flats": "Квартиры, где мы отключили звонки", "calls_found": "как было до отключения", "handset": "трубка", "sip": "вызовы в приложение", "on": "вкл.", "off": "выкл.",
		"changes": "Последние изменения", "at": "Время", "op": "Действие", "result": "Результат", "no_changes": "Изменений нет.",
		"yes": "да", "no": "нет", "unknown": "неизвестно", "sync_running": "Прогон %d ещё идёт; итог будет в списке прогонов.",
		"query": "номер договора, телефон или ключ", "by_auto": "определить", "by_uid": "по номеру договора", "by_phone": "по телефону", "by_key": "по ключу", "find": "Найти",
		"bad_uid": "Номер договора — положительное число.", "no_contracts": "С этим телефоном договоров нет.",
		"bad_query": "Введите номер договора, телефон или ключ.", "bad_phone": "Это не номер телефона: нужно 10 или 11 цифр.",
		"bad_key": "Ключ — это от 1 до 14 шестнадцатеричных цифр.", "no_key_holders": "Этот ключ не принадлежит ни одному договору.",
		"searched_uid": "Поиск по номеру договора.", "searched_phone": "Поиск по телефону.", "searched_key": "Поиск по ключу",
		"what_to_do": "Что делать:", "panel_n": "Панель %d:", "failed_list": "Панели с ошибкой:", "more": "и ещё %d",
		"sync_done_ok": "Прогон %s завершён успешно.", "sync_done_partial": "Прогон %s завершён частично: не все панели удалось обновить.",
		"sync_done_guarded": "Прогон %s завершён, но удаления удержаны защитой.", "sync_done_failed": "Прогон %s завершён с ошибкой.",
		"billing_row": "Биллинг", "found": "найден", "cams_open": "услуга домофона", "cams_paid": "оплачено",
		"active": "Доступ", "reason": "Почему", "wanted": "Нужен", "last_change": "Последнее изменение",
		"role_no_page": "Это учётная запись биллинга (роль billing): страницы состояния для неё нет.",
		"role_refused": "Вашей роли это не разрешено.",
	},
}

// text looks key up in lang, then in English; an unknown key shows itself,
// so a missing string is visible rather than blank.
func text(lang, key string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	if s, ok := texts["en"][key]; ok {
		return s
	}
	return key
}

// language picks the best of the page's languages from Accept-Language by
// its q values; English when none matches.
func language(r *http.Request) string {
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := texts[base]; ok && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}
