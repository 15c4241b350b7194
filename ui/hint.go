package ui

import (
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

// What to do about an error: the page puts one line under each error whose
// class it knows.
//
// TEMPORARY: this classifier stands in for the shared pure function the CLI
// gets for the same hints (check, panels, explain, the run report). When it
// lands, errorClass calls it and hintTexts keeps only the page's wording, in
// both languages, keyed by its classes.

// Error classes, as data-hint on the page.
const (
	hintAuth        = "auth"        // the panel refuses the login (401, 403)
	hintRefused     = "refused"     // nothing listens at the panel's address
	hintTimeout     = "timeout"     // the panel did not answer in time
	hintFull        = "full"        // the panel refused an add: its key table is full
	hintBusy        = "busy"        // another run held the panel's lease the whole wait
	hintServer      = "server"      // the panel answered 5xx
	hintUnkept      = "unkept"      // the panel acknowledged writes it did not keep
	hintGuard       = "guard"       // the guard held a run's revocations
	hintInterrupted = "interrupted" // the run's process stopped before its end
	hintBilling     = "billing"     // the billing could not be read
)

// errorClasses are tried in order: a message may carry several causes (a
// write not kept because the panel refused it, a billing that refused the
// connection), and the first named here is the one to act on.
var errorClasses = []struct {
	class string
	re    *regexp.Regexp
}{
	{hintInterrupted, regexp.MustCompile(`^interrupted$`)},
	{hintBilling, regexp.MustCompile(`^billing snapshot`)}, // a run's own error: its cause may be any of the below
	{hintAuth, regexp.MustCompile(`status 40[13]\b|bad credentials`)},
	{hintRefused, regexp.MustCompile(`connection refused|no route to host`)},
	{hintTimeout, regexp.MustCompile(`\btimeout\b|deadline exceeded|timed out`)},
	{hintFull, regexp.MustCompile(`(?i)\b(table|store) is full\b|action=add[^\n]*panel says "Request failed"`)},
	{hintBusy, regexp.MustCompile(`is busy: its lease is held`)},
	{hintServer, regexp.MustCompile(`status 5\d\d\b`)},
	{hintUnkept, regexp.MustCompile(`not seen on the panel|missing after the session`)},
}

// errorClass names the class of an error message, or "" for one the page
// has no advice for.
func errorClass(msg string) string {
	for _, c := range errorClasses {
		if c.re.MatchString(msg) {
			return c.class
		}
	}
	return ""
}

// hintTexts say what to do, by language and class; {device} is the device
// id. Config keys and commands are set in <code>: they read the same in every
// language.
var hintTexts = map[string]map[string]string{
	"en": {
		hintAuth:        "The panel refuses yardsync's login: check <code>panellogin</code> and <code>panelpasswd</code> of device {device} (<code>devices_mod/</code>), and that the account may write keys.",
		hintRefused:     "Nothing answers at the panel's address: the panel is off or offline, or the address is wrong (<code>panelip</code> of device {device}, <code>panels.port</code>).",
		hintTimeout:     "The panel did not answer within <code>reconcile.panel_timeout</code>: check its power and network; on a slow link raise the timeout.",
		hintFull:        "The panel's key table is full: it refused to add a key. Free room on it (remove keys nobody uses); yardsync's deletes still go through.",
		hintBusy:        "Another run was working on this panel the whole wait; the next run tries again.",
		hintServer:      "The panel answered with an internal error; the next run tries again. If it stays, reboot the panel.",
		hintUnkept:      "The panel acknowledged writes it did not keep (failing memory, a reboot, or a full table it does not report): reboot or replace it; the next run writes again.",
		hintGuard:       "Check the billing: <code>yardsync reconcile --dry-run</code> shows what a run would revoke. If the revocations are real, run <code>yardsync reconcile --force</code>.",
		hintInterrupted: "The process running it stopped before the end (a restart or a crash); the next run finishes the work.",
		hintBilling:     "The billing could not be read, so nothing changed: <code>yardsync check</code> says what is wrong.",
	},
	"ru": {
		hintAuth:        "Панель не принимает логин yardsync: проверьте <code>panellogin</code> и <code>panelpasswd</code> устройства {device} (<code>devices_mod/</code>) и что этой учётной записи можно записывать ключи.",
		hintRefused:     "По адресу панели никто не отвечает: панель выключена или без сети, либо адрес неверен (<code>panelip</code> устройства {device}, <code>panels.port</code>).",
		hintTimeout:     "Панель не ответила за <code>reconcile.panel_timeout</code>: проверьте её питание и сеть; на медленном канале увеличьте это время.",
		hintFull:        "Таблица ключей панели заполнена: панель отказалась добавить ключ. Освободите место (удалите ключи, которыми никто не пользуется); удаления yardsync при этом выполняются.",
		hintBusy:        "Другой прогон всё время ожидания работал с этой панелью; следующий прогон попробует снова.",
		hintServer:      "Панель ответила внутренней ошибкой; следующий прогон попробует снова. Если ошибка не проходит, перезагрузите панель.",
		hintUnkept:      "Панель подтвердила записи, но не сохранила их (сбой памяти, перезагрузка или переполненная таблица, о которой она молчит): перезагрузите или замените её; следующий прогон запишет снова.",
		hintGuard:       "Проверьте биллинг: <code>yardsync reconcile --dry-run</code> покажет, что снял бы прогон. Если снятия настоящие, запустите <code>yardsync reconcile --force</code>.",
		hintInterrupted: "Процесс, выполнявший прогон, остановился до конца (перезапуск или сбой); следующий прогон доделает работу.",
		hintBilling:     "Биллинг не прочитан, поэтому ничего не изменилось: <code>yardsync check</code> покажет, что не так.",
	},
}

// Hint is the "what to do" line for an error message of device id (0: not
// a panel's), or nothing when its class is unknown.
func (p page) Hint(msg string, id int) template.HTML {
	return p.hintFor(errorClass(msg), id)
}

// hintFor is the "what to do" line of a class.
func (p page) hintFor(class string, id int) template.HTML {
	if class == "" {
		return ""
	}
	s, ok := hintTexts[p.Lang][class]
	if !ok {
		s = hintTexts["en"][class]
	}
	s = strings.ReplaceAll(s, "{device}", strconv.Itoa(id))
	// The texts are ours and the id a number: nothing here needs escaping.
	return template.HTML(fmt.Sprintf(`<p class="hint" data-hint="%s"><strong>%s</strong> %s</p>`, class, template.HTMLEscapeString(p.T("what_to_do")), s))
}

// GuardHint is the "what to do" line of a run the guard held.
func (p page) GuardHint() template.HTML { return p.hintFor(hintGuard, 0) }
