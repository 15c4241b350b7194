package panels

import (
	"slices"
	"testing"

	"yardsync/reconcile"
)

func TestParseLines(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		body := "\r\nDevice Model=DKS 15122\r\nKeyValue1=0000003375A686\r\nApartment1=12\r\n\n  Unknown=x=y  \r\nKeyValueType1=9\nKeyValue2=04A1B2C3D4E5F6\n"
		fields, err := parseLines([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		keys, flatLines, skipped := keyList(fields, "KeyValue")
		want := []reconcile.PanelKey{{Code: "0000003375A686", Flat: 12}, {Code: "04A1B2C3D4E5F6", Flat: reconcile.FlatUnlisted}}
		if !slices.Equal(keys, want) || flatLines != 1 || skipped != 0 {
			t.Errorf("keys = %v (%d flat lines), want %v: key 2 lists no flat", keys, flatLines, want)
		}
		if want := (field{"Unknown", "x"}); !slices.Contains(fields, want) {
			t.Errorf("fields %v lack %v: the value ends at a second '='", fields, want)
		}
	})
	t.Run("ErrGarbage", func(t *testing.T) {
		for _, body := range []string{"<html>oops</html>", "not a pair\n", "=novalue", "Key1=A\x00\xfe\n", `{"a":"b=c"}`} {
			if _, err := parseLines([]byte(body)); err == nil {
				t.Errorf("parseLines(%q): want an error", body)
			}
		}
	})
	// A foreign entry whose Apartment is not a flat is skipped and
	// counted; the keys around it are read, on the right flats.
	t.Run("SkipsUnreadableFlat", func(t *testing.T) {
		body := "Key1=0000003375A686\nApartment1=7a\nKey2=04A1B2C3D4E5F6\nApartment2=5\nKey3=00000000C0FFEE\nApartment3=\nKey4=0000000000AA04\nApartment4=10000\n"
		fields, _ := parseLines([]byte(body))
		keys, flatLines, skipped := keyList(fields, "Key")
		want := []reconcile.PanelKey{{Code: "04A1B2C3D4E5F6", Flat: 5}, {Code: "00000000C0FFEE", Flat: 0}}
		if !slices.Equal(keys, want) || skipped != 2 || flatLines != 4 {
			t.Errorf("keys = %v, %d skipped, %d flat lines; want %v, 2 skipped (7a, 10000), 4", keys, skipped, flatLines, want)
		}
	})
	t.Run("MifareIgnoresKeyValue", func(t *testing.T) {
		fields, _ := parseLines([]byte("Key1=0000003375A686\nKeyType1=2\n"))
		keys, _, _ := keyList(fields, "Key")
		if len(keys) != 1 {
			t.Errorf("keys = %v, want only Key1", keys)
		}
	})
	// Issue 13: SmartYard-Server takes any name containing KeyValue (Key on
	// mifare) as a key, and production drivers skip lines that are not
	// Name=Value instead of failing the whole list.
	t.Run("NamesContainingKeyAndStrayLines", func(t *testing.T) {
		body := "RFID keys: 3\r\nExtKeyValue1=0000003375A686\r\nApartment1=4\r\n-- end of list --\r\nKeyValue=0a1b2c3d4e\r\n"
		fields, err := parseLines([]byte(body))
		if err != nil {
			t.Fatalf("stray lines must be skipped: %v", err)
		}
		keys, _, skipped := keyList(fields, "KeyValue")
		want := []reconcile.PanelKey{{Code: "0000003375A686", Flat: 4}, {Code: "0a1b2c3d4e", Flat: reconcile.FlatUnlisted}}
		if skipped != 0 || !slices.Equal(keys, want) {
			t.Errorf("keys = %v, %d skipped; want %v", keys, skipped, want)
		}
		mifare, _, _ := keyList([]field{{"KeyValue1", "0000003375A686"}, {"Key2", "04A1B2C3D4E5F6"}}, "Key")
		if len(mifare) != 2 {
			t.Errorf("mifare keys = %v: KeyValue<n> contains Key", mifare)
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
