//go:build js && wasm

// conftest v0.69.0's own CUE, Jsonnet and HOCON parsers (github.com/open-policy-agent/conftest/parser/...),
// built for WebAssembly so that tollgate gives a policy the very document conftest does. One module per
// format (build tag cue, jsonnet or hocon; scripts/build-conftest-parsers.sh). The module exposes
// globalThis.__conftestParse_<format>(path, source) → a Promise of {json} | {error}; a panic in the parser
// is an error. The parse runs on its own goroutine because a Jsonnet import reads a file through Node's
// asynchronous fs, which cannot complete while a js.Func callback blocks the event loop.
package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"
)

// unmarshal is the format's conftest parser, set by the file of its build tag.
var (
	format    string
	unmarshal func(path string, src []byte, v any) error
)

func run(path, src string) (result map[string]any) {
	defer func() {
		if r := recover(); r != nil {
			result = map[string]any{"error": fmt.Sprintf("panic: %v", r)}
		}
	}()
	var v any
	if err := unmarshal(path, []byte(src), &v); err != nil {
		return map[string]any{"error": err.Error()}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return map[string]any{"json": string(out)}
}

func parse(_ js.Value, args []js.Value) any {
	path, src := args[0].String(), args[1].String()
	executor := js.FuncOf(func(_ js.Value, p []js.Value) any {
		resolve := p[0]
		go func() { resolve.Invoke(js.ValueOf(run(path, src))) }()
		return nil
	})
	defer executor.Release()
	return js.Global().Get("Promise").New(executor)
}

func main() {
	js.Global().Set("__conftestParse_"+format, js.FuncOf(parse))
	select {}
}
