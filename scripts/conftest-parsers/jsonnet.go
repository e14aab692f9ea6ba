//go:build js && wasm && jsonnet

package main

import "github.com/open-policy-agent/conftest/parser/jsonnet"

// conftest sets the file's path (imports resolve from its directory) before Unmarshal, as here.
func init() {
	format = "jsonnet"
	unmarshal = func(path string, src []byte, v any) error {
		p := &jsonnet.Parser{}
		p.SetPath(path)
		return p.Unmarshal(src, v)
	}
}
