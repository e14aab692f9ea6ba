//go:build js && wasm && hocon

package main

import "github.com/open-policy-agent/conftest/parser/hocon"

func init() {
	format = "hocon"
	unmarshal = func(_ string, src []byte, v any) error { return (&hocon.Parser{}).Unmarshal(src, v) }
}
