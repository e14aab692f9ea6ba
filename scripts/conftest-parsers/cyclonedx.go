//go:build js && wasm && cyclonedx

package main

import "github.com/open-policy-agent/conftest/parser/cyclonedx"

func init() {
	format = "cyclonedx"
	unmarshal = func(_ string, src []byte, v any) error { return (&cyclonedx.Parser{}).Unmarshal(src, v) }
}
