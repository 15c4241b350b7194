package panels

import (
	"slices"
	"testing"
)

func TestParseLines(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		body := "\r\nDevice Model=DKS 15122\r\nKeyValue1=0000003375A686\r\nApartment1=12\r\n\n  Unknown=x=y  \r\nKeyValueType1=9\nKeyValue2=04A1B2C3D4E5F6\n"
		fields, err := parseLines([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		codes, flats, err := keyTable(fields, "KeyValue")
		if err != nil {
			t.Fatal(err)
		}
		if codes[1] != "0000003375A686" || codes[2] != "04A1B2C3D4E5F6" || len(codes) != 2 {
			t.Errorf("codes = %v", codes)
		}
		if flats[1] != 12 || flats[2] != 0 {
			t.Errorf("flats = %v, want 1:12 and 2 unbound", flats)
		}
		if want := (field{"Unknown", "x"}); !slices.Contains(fields, want) {
			t.Errorf("fields %v lack %v: the value ends at a second '='", fields, want)
		}
	})
	t.Run("ErrGarbage", func(t *testing.T) {
		for _, body := range []string{"<html>oops</html>", "Key1=A\nnot a pair\n", "=novalue", "Key1=A\x00\xfe\n", `{"a":"b=c"}`} {
			if _, err := parseLines([]byte(body)); err == nil {
				t.Errorf("parseLines(%q): want an error", body)
			}
		}
	})
	t.Run("ErrFlat", func(t *testing.T) {
		fields, _ := parseLines([]byte("Key1=0000003375A686\nApartment1=7a\n"))
		if _, _, err := keyTable(fields, "Key"); err == nil {
			t.Error("Apartment1=7a: want an error")
		}
	})
	t.Run("MifareIgnoresKeyValue", func(t *testing.T) {
		fields, _ := parseLines([]byte("Key1=0000003375A686\nKeyType1=2\n"))
		codes, _, _ := keyTable(fields, "Key")
		if len(codes) != 1 {
			t.Errorf("codes = %v, want only Key1", codes)
		}
	})
}

func TestScrub(t *testing.T) {
	c := &Client{family: "beward", addr: "10.0.0.5:80", password: "hunter22"}
	got := c.scrub(`Get "http://admin:hunter22@10.0.0.5/cgi-bin/x": hunter22`)
	if got != `Get "http://10.0.0.5/cgi-bin/x": xxxxx` {
		t.Errorf("scrub = %q", got)
	}
}
