//go:build js && wasm && cue

package main

import "github.com/open-policy-agent/conftest/parser/cue"

func init() {
	format = "cue"
	unmarshal = func(_ string, src []byte, v any) error { return (&cue.Parser{}).Unmarshal(src, v) }
}
