// The built-ins tollgate supplies to the WASM target must give what opa gives: every case is evaluated by the
// real `opa eval` and by a WASM build of the same rule with tollgate's host built-ins; a case undefined in opa
// (a built-in error) must be undefined in tollgate too.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBundleFile } from "../src/policy/bundle.ts";
import { PolicyEngine } from "../src/policy/evaluator.ts";
import { hostBuiltins } from "../src/policy/host-builtins.ts";
import { runOpa } from "./support/opa.ts";

const CASES: string[] = [
  `semver.compare("1.2.3", "1.10.0")`,
  `semver.compare("2.0.0", "2.0.0")`,
  `semver.compare("1.0.0-rc.1", "1.0.0")`,
  `semver.compare("1.0.0-alpha.beta", "1.0.0-alpha.1")`,
  `semver.compare("1.0.0+build", "1.0.0")`,
  `semver.compare("x", "1.0.0")`,
  `semver.is_valid("1.0.0-rc.1+b.2")`,
  `semver.is_valid("01.0.0")`,
  `units.parse_bytes("1Ki")`,
  `units.parse_bytes("10MB")`,
  `units.parse_bytes("2.5 GiB")`,
  `units.parse_bytes("100")`,
  `units.parse_bytes("bogus")`,
  `units.parse("1k")`,
  `units.parse("250m")`,
  `units.parse("1.5Mi")`,
  `io.jwt.decode("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImFkbWluIjp0cnVlfQ.c2lnbmF0dXJl")`,
  `io.jwt.decode("not-a-token")`,
  `io.jwt.verify_hs256("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.3Q-8fDM04PRH3PFjf_w2wvzCGBDS15Exyg6EZm2Oc3A", "secret")`,
  `regex.find_n("[0-9]+", "a1b22c333", 2)`,
  `regex.find_n("[0-9]+", "a1b22c333", -1)`,
  `regex.replace("a1b22c333", "[0-9]+", "#")`,
  `regex.replace("key=value", "(\\\\w+)=(\\\\w+)", "$2=$1")`,
  `regex.template_match("urn:foo:{.*}", "urn:foo:bar:baz", "{", "}")`,
  `regex.template_match("urn:foo:{[a-z]+}", "urn:foo:BAR", "{", "}")`,
  `net.cidr_contains("10.0.0.0/8", "10.1.2.3")`,
  `net.cidr_contains("10.0.0.0/8", "192.168.0.1")`,
  `net.cidr_contains("10.0.0.0/8", "10.2.0.0/16")`,
  `net.cidr_contains("2001:db8::/32", "2001:db8::1")`,
  `net.cidr_intersects("10.0.0.0/8", "10.255.0.0/16")`,
  `net.cidr_intersects("10.0.0.0/16", "10.1.0.0/16")`,
  `net.cidr_is_valid("10.0.0.0/33")`,
  `net.cidr_is_valid("192.168.1.0/24")`,
  `net.cidr_expand("192.168.0.0/30")`,
  `net.cidr_contains_matches(["10.0.0.0/8", "192.168.0.0/16"], ["10.1.1.1", "8.8.8.8"])`,
  `crypto.sha256("abc")`,
  `crypto.sha1("abc")`,
  `crypto.md5("abc")`,
  `crypto.hmac.sha256("message", "key")`,
  `crypto.hmac.equal("abc", "abc")`,
  `hex.encode("hi!")`,
  `hex.decode("686921")`,
  `base64url.encode_no_pad("hi?")`,
  `urlquery.encode("a b&c=d/é")`,
  `urlquery.decode("a+b%26c")`,
  `urlquery.encode_object({"b": "2", "a": ["1", "x y"]})`,
  `urlquery.decode_object("a=1&b=2&a=3")`,
  `indexof_n("abcabc", "bc")`,
  `strings.any_prefix_match("foo/bar", ["x", "foo"])`,
  `strings.any_suffix_match(["a.yaml", "b.json"], ".json")`,
  `strings.count("cheese", "e")`,
  `object.subset({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}})`,
  `object.subset({"a": 1}, {"a": 2})`,
  `numbers.range_step(0, 10, 3)`,
  `numbers.range_step(10, 0, 4)`,
  `glob.quote_meta("*.yaml?")`,
  `time.parse_rfc3339_ns("2026-01-31T12:00:00.5+02:00")`,
  `time.parse_rfc3339_ns("not a time")`,
  `time.parse_ns("2006-01-02", "2026-03-04")`,
  `time.parse_ns("2006-01-02T15:04:05Z07:00", "2026-03-04T05:06:07Z")`,
  `time.parse_duration_ns("1h30m")`,
  `time.parse_duration_ns("1.5s")`,
  `time.parse_duration_ns("-300ms")`,
  `time.parse_duration_ns("bogus")`,
  `time.date(1767225600000000000)`,
  `time.clock(1767268800000000000)`,
  `time.weekday(1767225600000000000)`,
  `time.add_date(1767225600000000000, 0, 1, 30)`,
  `time.diff(1767225600000000000, 1700000000000000000)`,
  `time.format(1767225600123000000)`,
  `time.format([1767225600000000000, "UTC", "2006-01-02"])`,
  // sets keep their Rego text in the built-ins that print values (they reach the host as arrays otherwise)
  `sprintf("%v", [{"b", "a"}])`,
  `sprintf("%v and %v", [set(), {"k": {3, 1, 2}, "l": [{"x"}]}])`,
  `sprintf("%s", [{1}])`,
];

let engine: PolicyEngine;
let want: Record<string, unknown>;
const NOW = new Date("2026-06-01T10:00:00Z");

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-host-builtins-"));
  const rego = ["package t", "", ...CASES.map((c, i) => `c${i} := ${c}`), "now := time.now_ns()"].join("\n") + "\n";
  writeFileSync(join(dir, "t.rego"), rego);
  const out = join(dir, "b.tar.gz");
  const args = ["build", "-t", "wasm", "-o", out, ...CASES.flatMap((_, i) => ["-e", `t/c${i}`]), "-e", "t/now", join(dir, "t.rego")];
  const b = runOpa(args);
  if (b.code !== 0) throw new Error(b.stdout + b.stderr);
  engine = await PolicyEngine.create(await loadBundleFile(out), [], hostBuiltins({ now: NOW }));
  const e = runOpa(["eval", "--format", "json", "-d", join(dir, "t.rego"), "data.t"]);
  if (e.code !== 0) throw new Error(e.stdout + e.stderr);
  want = (JSON.parse(e.stdout) as { result: { expressions: { value: Record<string, unknown> }[] }[] }).result[0]!.expressions[0]!.value;
});

describe("host built-ins give what opa gives", () => {
  CASES.forEach((c, i) => {
    test(c, () => {
      expect(engine.evaluate(`t/c${i}`, {})).toEqual(want[`c${i}`]);
    });
  });

  test("time.now_ns() is the instant tollgate was given, to the nanosecond", () => {
    // The value crosses into WASM as JSON text: a double would round it.
    expect(String(engine.evaluate("t/now", {}))).toBe(String(NOW.getTime() * 1e6));
  });
});

describe("refused built-ins", () => {
  test("http.send is refused unless opted in, with a message saying how", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-http-"));
    writeFileSync(join(dir, "h.rego"), 'package h\n\nr := http.send({"method": "GET", "url": "http://127.0.0.1:1/"})\n');
    const out = join(dir, "h.tar.gz");
    expect(runOpa(["build", "-t", "wasm", "-e", "h/r", "-o", out, join(dir, "h.rego")]).code).toBe(0);
    const e = await PolicyEngine.create(await loadBundleFile(out), [], hostBuiltins({ now: NOW }));
    expect(() => e.evaluate("h/r", {})).toThrow("http.send is not available to policies in tollgate: policies may not reach the network (pass --allow-http-send to permit it)");
  });

  test("a built-in tollgate does not supply is refused when the policy loads, naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-missing-"));
    writeFileSync(join(dir, "m.rego"), 'package m\n\nr := crypto.x509.parse_certificates("")\n');
    const out = join(dir, "m.tar.gz");
    expect(runOpa(["build", "-t", "wasm", "-e", "m/r", "-o", out, join(dir, "m.rego")]).code).toBe(0);
    expect(PolicyEngine.create(await loadBundleFile(out), [], hostBuiltins({ now: NOW }))).rejects.toThrow("the policy uses built-in crypto.x509.parse_certificates, which tollgate does not supply here");
  });
});
