package main

import (
	"fmt"
	"io"

	"yardsync/reconcile"
)

// printHint writes, under an error line, what to do about it
// (reconcile.PanelHint), when its class is known; deviceID 0 names no device.
func printHint(w io.Writer, deviceID int, errText string) {
	if h := reconcile.PanelHint(deviceID, errText); h != "" {
		fmt.Fprintf(w, "  what to do: %s\n", h)
	}
}
