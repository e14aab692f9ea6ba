// conftest's Go parsers run in a worker thread with a time bound: go-akka/configuration (conftest's HOCON
// parser) never returns on an unclosed list, in conftest as here; tollgate stops it and refuses the file with
// one line (exit 2) instead of hanging, and the next parse runs in a fresh worker.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { conftestParse } from "../src/check/parsers/conftest-wasm.ts";
import { tollgate } from "./support/cli.ts";

const HANG = "a { b = [1, 2 }\n";
const ctx = (path: string) => ({ path }) as never;

describe("a Go parser that never returns is bounded", () => {
  test("past the limit: limit_exceeded naming the file; the next parse works", async () => {
    let err: any;
    const t0 = performance.now();
    try {
      await conftestParse("hocon", "HOCON", new TextEncoder().encode(HANG), ctx("loop.hocon"), 1500);
    } catch (e) {
      err = e;
    }
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(err?.code).toBe("limit_exceeded");
    expect(err?.message).toBe("HOCON parser did not finish within 1.5 s (conftest's parser loops on some malformed input)");
    expect(await conftestParse("hocon", "HOCON", new TextEncoder().encode("a { b = 1 }\n"), ctx("ok.hocon"))).toEqual({ a: { b: 1 } });
  }, 60_000);

  test("a parse error is still one malformed line, and the worker lets the process exit", () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-wasm-limit-"));
    writeFileSync(join(dir, "bad.jsonnet"), "local x = ;\n");
    const r = tollgate(["parse", join(dir, "bad.jsonnet")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("bad.jsonnet");
    writeFileSync(join(dir, "ok.jsonnet"), "{ a: 1 + 1 }\n");
    const ok = tollgate(["parse", join(dir, "ok.jsonnet")]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ a: 2 });
  }, 60_000);
});
