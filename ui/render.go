package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

// pageNames are the templates; each defines "content" inside layout.html.
var pageNames = []string{"login", "home", "panel", "contracts", "error"}

var pages = parsePages()

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"deref": deref, "uids": uidList, "part": part}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html", "templates/"+name+".html"))
	}
	return out
}

// page is what every template sees: the language's strings through T, the
// session's user and CSRF token, and the page's own data; times are shown
// in Loc.
type page struct {
	Lang string
	User string
	CSRF string
	Data any
	Loc  *time.Location
}

// part is the page with other data, for a template that shows a part of it.
func part(p page, data any) page {
	p.Data = data
	return p
}

// T is the page's text for key.
func (p page) T(key string) string { return text(p.Lang, key) }

// Tf formats the page's text for key with args.
func (p page) Tf(key string, args ...any) string { return fmt.Sprintf(text(p.Lang, key), args...) }

// RunDone says how run id ended.
func (p page) RunDone(id int64, status string) string {
	n := strconv.FormatInt(id, 10)
	if _, ok := texts["en"]["sync_done_"+status]; ok {
		return p.Tf("sync_done_"+status, n)
	}
	return p.Tf("sync_done", n, p.Status(status))
}

// YesNo says yes, no, or unknown for a nil answer.
func (p page) YesNo(v any) string {
	switch b := v.(type) {
	case bool:
		return p.T(map[bool]string{true: "yes", false: "no"}[b])
	case *bool:
		if b != nil {
			return p.YesNo(*b)
		}
	}
	return p.T("unknown")
}

// When shows a time (or a nil *time.Time as nothing) in the page's zone, to
// the second, with the zone's offset: 2026-12-02 10:50:06 +03:00.
func (p page) When(v any) template.HTML { return p.when(v, time.Time{}) }

// WhenAfter shows a time as When does, without its date when that is the
// date of since: a run's end beside its start.
func (p page) WhenAfter(v any, since time.Time) template.HTML { return p.when(v, since) }

func (p page) when(v any, since time.Time) template.HTML {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	t, layout := t.In(p.Loc), "2006-01-02 15:04:05 -07:00"
	if !since.IsZero() && since.In(p.Loc).Format(time.DateOnly) == t.Format(time.DateOnly) {
		layout = "15:04:05 -07:00"
	}
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `">` + t.Format(layout) + `</time>`)
}

// render writes a page; it renders into a buffer first so a template error
// becomes a 500, not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, data any) {
	p := page{Lang: language(r), Data: data, Loc: h.opts.Location}
	if p.Loc == nil {
		p.Loc = time.Local
	}
	if s != nil {
		p.User, p.CSRF = s.user, s.csrf
	}
	var buf bytes.Buffer
	if err := pages[name].Execute(&buf, p); err != nil {
		h.opts.Log.Error("status page template failed", slog.String("page", name), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.Header().Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	http.ServeFileFS(w, r, files, "templates/style.css")
}

// deref reads an optional answer; nil (unknown) reads as false.
func deref(b *bool) bool { return b != nil && *b }

// shownUIDs is how many contracts of a targeted run the overview names.
const shownUIDs = 5

// uidList names a run's contracts, the first few and how many more.
func uidList(uids []int64) string {
	var b strings.Builder
	for i, uid := range uids[:min(len(uids), shownUIDs)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(uid, 10))
	}
	if n := len(uids) - shownUIDs; n > 0 {
		fmt.Fprintf(&b, " +%d", n)
	}
	return b.String()
}
