package panels

import (
	"context"
	"strconv"

	"yardsync/reconcile"
)

// calls reads apartment_cgi?action=get&Number=N: BlockCMS=off lets handset
// calls through, PhonesActive=on SIP calls.
func (b *beward) calls(ctx context.Context, flat int) (reconcile.CallSetting, error) {
	req := "/cgi-bin/apartment_cgi?action=get&Number=" + strconv.Itoa(flat)
	fields, err := b.getList(ctx, req)
	if err != nil {
		return reconcile.CallSetting{}, err
	}
	got := map[string]string{}
	for _, f := range fields {
		got[f.name] = f.value
	}
	block, phones := got["BlockCMS"], got["PhonesActive"]
	if block != "on" && block != "off" || phones != "on" && phones != "off" {
		return reconcile.CallSetting{}, b.c.fail(reconcile.ErrPermanent, "GET "+req,
			"answer has no BlockCMS and PhonesActive for flat %d", flat)
	}
	return reconcile.CallSetting{Handset: block == "off", SIP: phones == "on"}, nil
}

// setCalls sends apartment_cgi?action=set&Number=N&BlockCMS=..&PhonesActive=..;
// the session's save (forcesave) keeps it over a reboot.
func (b *beward) setCalls(ctx context.Context, flat int, s reconcile.CallSetting) error {
	return b.write(ctx, "/cgi-bin/apartment_cgi?action=set&Number="+strconv.Itoa(flat)+
		"&BlockCMS="+onOff(!s.Handset)+"&PhonesActive="+onOff(s.SIP))
}
