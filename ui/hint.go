package ui

import (
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"

	"yardsync/reconcile"
)

// What to do about an error: the page puts one line under each error whose
// class it knows. The classes of panel errors are reconcile.HintClass's, as
// the CLI's hints are (check, panels, explain, the run report); the page
// adds the classes of a run's own errors and keeps its wording, in both
// languages, keyed by class.

// Error classes, as data-hint on the page.
const (
	hintAuth        = "auth"        // the panel refuses the login (401, 403)
	hintRefused     = "refused"     // nothing listens at the panel's address
	hintTimeout     = "timeout"     // the panel did not answer in time
	hintFull        = "full"        // the panel refused an add: its key table is full
	hintBusy        = "busy"        // another run held the panel's lease the whole wait
	hintServer      = "server"      // the panel answered 5xx
	hintUnkept      = "unkept"      // the panel acknowledged writes it did not keep
	hintLost        = "lost"        // keys the panel held were gone after the session (a reboot)
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
}

// serverError is a panel's 5xx, which reconcile.HintClass leaves unclassed.
var serverError = regexp.MustCompile(`status 5\d\d\b`)

// errorClass names the class of an error message, or "" for one the page
// has no advice for: a run's own classes first, then a panel error's
// (reconcile.HintClass, shared with the CLI), then a panel's 5xx.
func errorClass(msg string) string {
	for _, c := range errorClasses {
		if c.re.MatchString(msg) {
			return c.class
		}
	}
	if class := reconcile.HintClass(msg); class != "" {
		return class
	}
	if serverError.MatchString(msg) {
		return hintServer
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
		hintLost:        "Keys the panel held were gone after the session (a reboot, or a reset table): check its power and firmware; the next run puts them back.",
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
		hintLost:        "Ключи, которые были на панели, пропали после сеанса (перезагрузка или сброс таблицы): проверьте её питание и прошивку; следующий прогон вернёт их.",
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
