import { describe, expect, test, beforeAll } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { readBundle, loadBundleFile } from "../src/policy/bundle.ts";
import { PolicyEngine, normalizeEntrypoint } from "../src/policy/evaluator.ts";
import { loadDefaultBundle, GATE_ENTRYPOINT } from "../src/policy/default-bundle.ts";
import { DEFAULT_BUNDLE_SHA256 } from "../src/policy/default-bundle.pin.ts";
import { evaluateDecision, toDecision } from "../src/policy/gate.ts";
import { TollgateError } from "../src/core/errors.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { runOpa } from "./support/opa.ts";

const tmp = mkdtempSync(join(tmpdir(), "tollgate-eval-"));

// Someone else's Rego, nothing to do with tollgate's packages: any `opa build -t wasm` bundle must load.
const FOREIGN = `package acme.k8s
import rego.v1
default allow := false
allow if { input.kind == "Pod"; not privileged }
privileged if { some c in input.spec.containers; c.securityContext.privileged }
limits := data.acme.limits
`;

let foreignTar: string;
beforeAll(() => {
  const dir = join(tmp, "foreign");
  mkdirSync(join(dir, "acme"), { recursive: true });
  writeFileSync(join(dir, "policy.rego"), FOREIGN);
  writeFileSync(join(dir, "acme", "data.json"), JSON.stringify({ limits: { cpu: 2 } }));
  foreignTar = join(tmp, "foreign.tar.gz");
  const r = runOpa(["build", "-t", "wasm", "-e", "acme/k8s/allow", "-e", "acme/k8s/limits", "-o", foreignTar, "."], dir);
  if (r.code !== 0) throw new Error(r.stderr);
});

describe("bundle reader", () => {
  test("reads a foreign opa-built bundle: manifest, wasm, data mounted at its directory", async () => {
    const b = await loadBundleFile(foreignTar);
    expect(b.manifest.wasm?.map((w) => w.entrypoint).sort()).toEqual(["acme/k8s/allow", "acme/k8s/limits"]);
    expect(b.modules.has("policy.wasm")).toBe(true);
    expect(b.data).toEqual({ acme: { limits: { cpu: 2 } } });
    expect(b.sha256).toBe(createHash("sha256").update(readFileSync(foreignTar)).digest("hex"));
  });

  test("a bare policy.wasm loads as a bundle with no manifest", async () => {
    const tar = await loadBundleFile(foreignTar);
    const bare = await readBundle(tar.modules.get("policy.wasm")!, "bare.wasm");
    const e = await PolicyEngine.create(bare, [{ source: "test", data: { acme: { limits: { cpu: 4 } } } }]);
    expect(e.evaluate("acme/k8s/limits", {})).toEqual({ cpu: 4 });
  });

  test("not a bundle: clear policy_invalid error naming the source", async () => {
    const err = await readBundle(new TextEncoder().encode("hello"), "x.tar.gz").catch((e) => e);
    expect(err).toBeInstanceOf(TollgateError);
    expect(err.code).toBe("policy_invalid");
    expect(err.oneLine()).toContain("x.tar.gz: not an OPA bundle");
  });

  test("truncated gzip is refused", async () => {
    const bytes = readFileSync(foreignTar);
    const err = await readBundle(bytes.subarray(0, bytes.length / 2), "cut.tar.gz").catch((e) => e);
    expect(err.code).toBe("policy_invalid");
    expect(err.message).toMatch(/gzip|tar/);
  });

  test("a tar entry that is not a regular file is refused, not dropped", async () => {
    const { pack } = await import("tar-stream");
    const { gzipSync } = await import("node:zlib");
    const p = pack();
    p.entry({ name: "/policy.wasm" }, Buffer.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    p.entry({ name: "/data.json", type: "symlink", linkname: "/etc/passwd" });
    p.finalize();
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(c as Buffer);
    const err = await readBundle(new Uint8Array(gzipSync(Buffer.concat(chunks))), "link.tar.gz").catch((e) => e);
    expect(err.code).toBe("policy_invalid");
    expect(err.message).toBe("tar entry data.json is a symlink; bundles hold regular files only");
  });

  test("missing bundle file: policy_unreadable", async () => {
    const err = await loadBundleFile(join(tmp, "nope.tar.gz")).catch((e) => e);
    expect(err.code).toBe("policy_unreadable");
  });
});

describe("evaluator", () => {
  test("evaluates named entrypoints and reuses the instance across inputs", async () => {
    const e = await PolicyEngine.create(await loadBundleFile(foreignTar));
    const pod = { kind: "Pod", spec: { containers: [{ securityContext: { privileged: false } }] } };
    const priv = { kind: "Pod", spec: { containers: [{ securityContext: { privileged: true } }] } };
    for (let i = 0; i < 50; i++) {
      expect(e.evaluate("acme/k8s/allow", pod)).toBe(true);
      expect(e.evaluate("data.acme.k8s.allow", priv)).toBe(false);
    }
    expect(e.evaluate("acme.k8s.limits", {})).toEqual({ cpu: 2 });
  });

  test("--data overlays replace bundle data", async () => {
    const e = await PolicyEngine.create(await loadBundleFile(foreignTar), [{ source: "o.yaml", data: { acme: { limits: { cpu: 8 } } } }]);
    expect(e.evaluate("acme/k8s/limits", {})).toEqual({ cpu: 8 });
  });

  test("an unknown entrypoint names the ones the bundle has", async () => {
    const e = await PolicyEngine.create(await loadBundleFile(foreignTar));
    expect(() => e.evaluate("acme/k8s/deny", {})).toThrow(/has no entrypoint acme\/k8s\/deny \(it has: acme\/k8s\/allow, acme\/k8s\/limits\)/);
  });

  test("entrypoint spellings normalize", () => {
    expect(normalizeEntrypoint("data.tollgate.gate.decision")).toBe("tollgate/gate/decision");
    expect(normalizeEntrypoint("/tollgate/gate/decision")).toBe("tollgate/gate/decision");
  });
});

describe("decision shape", () => {
  test("undefined or ill-shaped results are policy errors, never an admit", () => {
    expect(() => toDecision(undefined, "ep")).toThrow(/undefined/);
    expect(() => toDecision({ allow: "yes" }, "ep")).toThrow(/did not return/);
    expect(() => toDecision({ allow: true, deny: [{ rule: "x" }] }, "ep")).toThrow(/without msg/);
  });

  test("allow with denials is treated as deny; results sorted", () => {
    const d = toDecision({ allow: true, deny: [{ rule: "b", msg: "2" }, { rule: "a", msg: "1" }], warn: ["plain"] }, "ep");
    expect(d.allow).toBe(false);
    expect(d.deny.map((r) => r.rule)).toEqual(["a", "b"]);
    expect(d.warn).toEqual([{ rule: "warn", msg: "plain" }]);
  });
});

/**
 * The same policies built for opa's own (Go) evaluator: `opa build` of policies/ with the default rego
 * target. (A WASM bundle's Rego has its entrypoint rules compiled out, and `go install`ed opa has no WASM
 * engine, so `opa eval -b` needs the rego-target build of the same sources.)
 */
let regoBundle: string | undefined;
function defaultBundleForOpa(): string {
  if (regoBundle) return regoBundle;
  regoBundle = join(tmp, "default-rego.tar.gz");
  const r = runOpa(["build", "--ignore", "*_test.rego", "-o", regoBundle, "policies"], REPO_ROOT);
  if (r.code !== 0) throw new Error(r.stderr);
  return regoBundle;
}

describe("default bundle", () => {
  test("embedded bundle matches its pinned sha256 and exports the gate entrypoint", async () => {
    const bytes = readFileSync(join(REPO_ROOT, "bundles/default.tar.gz"));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(DEFAULT_BUNDLE_SHA256);
    const e = await PolicyEngine.create(await loadDefaultBundle());
    expect(e.entrypoints).toContain(GATE_ENTRYPOINT);
  });

  test("the embedded stored form is the committed .tar.gz, member for member", async () => {
    const fromTar = await readBundle(new Uint8Array(readFileSync(join(REPO_ROOT, "bundles/default.tar.gz"))), "embedded:default");
    const stored = await loadDefaultBundle();
    expect([...stored.files.keys()]).toEqual([...fromTar.files.keys()]);
    for (const [name, bytes] of fromTar.files) expect(Buffer.from(stored.files.get(name)!).equals(Buffer.from(bytes))).toBe(true);
    expect({ ...stored, files: undefined, modules: undefined }).toEqual({ ...fromTar, files: undefined, modules: undefined });
    expect(stored.sha256).toBe(DEFAULT_BUNDLE_SHA256);
  });

  // The same bundle and input give the same decision in tollgate (opa-wasm) and in opa itself.
  const T = "2026-01-01T00:00:00Z";
  const SUB = "ab".repeat(32);
  const FP = "sha256:" + "cd".repeat(32);
  const prov = (over: Record<string, unknown> = {}) => ({
    id: "sha256:" + "01".repeat(32), kind: "slsa-provenance",
    source: { path: "prov.json", digest: { sha256: "01".repeat(32) }, format: "dsse" },
    signature: { status: "verified", signers: [{ type: "key", fingerprint: FP }] },
    transparency: { status: "absent" }, integrity: { status: "n/a" }, checks: [{ name: "signature.dsse", ok: true }],
    statement: { _type: "https://in-toto.io/Statement/v1", predicateType: "https://slsa.dev/provenance/v1", subject: [{ name: "app", digest: { sha256: SUB } }] },
    predicate: {},
    facts: { predicate_version: "v1", builder_id: "https://builder.example/v1", build_type: "https://actions.github.io/buildtypes/workflow/v1", known_build_type: true, custom_metadata: { vendor_fields: [], violations: [] } },
    ...over,
  });
  const input = (evidence: unknown[], keys = [FP], errors: unknown[] = []) => ({
    apiVersion: "tollgate/input/v1",
    context: { time: T, subject: { digest: { sha256: SUB } }, trust: { keys, identities: [] } },
    evidence, errors,
  });
  const cases: [string, unknown, boolean, string[]][] = [
    ["no evidence", input([]), false, ["I1.provenance-required"]],
    ["trusted, bound provenance", input([prov()]), true, []],
    ["untrusted key", input([prov()], []), false, ["I1.provenance-required", "I4.signer-identity"]],
    ["wrong subject", input([prov({ statement: { _type: "https://in-toto.io/Statement/v1", predicateType: "https://slsa.dev/provenance/v1", subject: [{ digest: { sha256: "ee".repeat(32) } }] } })]), false, ["I1.provenance-required", "I1.subject-digest"]],
    ["input error", input([prov()], [FP], [{ source: "bad.json", code: "malformed", message: "not valid JSON" }]), false, ["input.error"]],
  ];
  for (const [name, doc, allow, rules] of cases) {
    test(`parity with opa eval: ${name}`, async () => {
      const e = await PolicyEngine.create(await loadDefaultBundle());
      const ours = evaluateDecision(e, GATE_ENTRYPOINT, doc);
      expect(ours.allow).toBe(allow);
      expect([...new Set(ours.deny.map((r) => r.rule))].sort()).toEqual(rules);
      const f = join(tmp, `input-${name.replace(/\W/g, "_")}.json`);
      writeFileSync(f, JSON.stringify(doc));
      const r = runOpa(["eval", "-b", defaultBundleForOpa(), "-i", f, "--format", "json", "data.tollgate.gate.decision"]);
      expect(r.code).toBe(0);
      const theirs = toDecision(JSON.parse(r.stdout).result[0].expressions[0].value, "opa eval");
      expect(ours).toEqual(theirs);
    });
  }
});

describe("evaluateJsonText: the input's JSON text parsed inside the WASM", () => {
  let engine: PolicyEngine;
  beforeAll(async () => {
    const dir = join(tmp, "echo");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "echo.rego"), "package echo\nimport rego.v1\nout := input\nkinds := {k: type_name(v) | some k, v in input}\nn := input.n\n");
    const tar = join(tmp, "echo.tar.gz");
    const r = runOpa(["build", "-t", "wasm", "-e", "echo/out", "-e", "echo/kinds", "-e", "echo/n", "-o", tar, "."], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    engine = await PolicyEngine.create(await loadBundleFile(tar));
  });
  const raw = (ep: string, text: string) => engine.evaluateJsonText(ep, new TextEncoder().encode(text));

  test("the same value evaluate() gives for the parsed text, for any layout, escape and nesting", () => {
    const texts = [
      '{"a":1}', ' \n\t{ "a" : [ 1 , 2 , { "b" : null } ] }\r\n', '{"s":"\\u00e9\\u00E9\\/\\\\\\"\\b\\f\\n\\r\\t\\u0000 \\ud83d\\ude00 é 😀"}',
      '{"t":true,"f":false,"z":null,"e":[],"o":{}}', '{"x":-0.5,"y":1e3,"z":-1.25E-2,"w":0}', "[1,[2,[3,[4,[5]]]]]",
      '{"a":1,"a":2}', JSON.stringify({ deep: Array.from({ length: 50 }, (_, i) => ({ [`k${i}`]: i })) }),
    ];
    for (const t of texts) {
      const set = raw("echo/out", t);
      expect(set).toBeDefined();
      expect(JSON.parse(set!)).toEqual([{ result: engine.evaluate("echo/out", JSON.parse(t)) }]);
      // Types as the policy sees them (a number stays a number, a string a string) in both.
      expect(JSON.parse(raw("echo/kinds", t)!)).toEqual([{ result: engine.evaluate("echo/kinds", JSON.parse(t)) }]);
    }
  });

  test("numbers kept as written (opa's reading), an undefined result is the empty set", () => {
    expect(raw("echo/n", '{"n":12345678901234567890123}')).toBe('[{"result":12345678901234567890123}]');
    expect(raw("echo/n", '{"m":1}')).toBe("[]");
  });

  test("text the module's parser refuses (a lone surrogate escape) is handed back: undefined, not a wrong input", () => {
    expect(raw("echo/out", '{"s":"\\ud800"}')).toBeUndefined();
    expect(engine.evaluateJsonText("echo/missing", new TextEncoder().encode("{}"))).toBeUndefined();
  });
});
