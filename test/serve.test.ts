// The gate service over real HTTP on 127.0.0.1 (ephemeral ports): endpoints, bad input, limits, admission.
// Bundles are built with the real opa and signed with keys generated here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSigningKey, signBundleArchive } from "../src/policy/signing.ts";
import { resolveServeConfig, type ServeConfig } from "../src/serve/config.ts";
import { startGateServer, type GateServer } from "../src/serve/server.ts";
import type { TollgateError } from "../src/core/errors.ts";
import { decisionId } from "../src/telemetry/decision-log.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { BUN, CLI, servedUrl } from "./support/cli.ts";

const SUBJECT = "a".repeat(64);

const GATE = `package tollgate.gate

default allow := false

deny contains {"rule": "test.no-evidence", "msg": "no readable evidence"} if count(input.evidence) == 0

deny contains {"rule": "input.error", "msg": sprintf("%s: %s", [e.source, e.message])} if some e in input.errors

deny contains {"rule": "test.subject", "msg": "no subject"} if not input.context.subject

deny contains {"rule": "test.unbound", "msg": sprintf("%s is not bound to the subject", [ev.source.path])} if {
	some ev in input.evidence
	not bound(ev)
}

bound(ev) if {
	some s in ev.statement.subject
	s.digest.sha256 == input.context.subject.digest.sha256
}

warn contains {"rule": "test.revision", "msg": sprintf("evaluated by %s", [data.marker])} if data.marker

allow if count(deny) == 0

decision := {"allow": allow, "deny": deny, "warn": warn}
`;

const ADMISSION = `package tollgate.admission

deny contains {"rule": "k8s.digest-pinned", "msg": sprintf("container %s image %s is not pinned by digest", [c.name, c.image])} if {
	some c in input.request.object.spec.containers
	not contains(c.image, "@sha256:")
}

warn contains {"rule": "k8s.latest", "msg": sprintf("container %s uses :latest", [c.name])} if {
	some c in input.request.object.spec.containers
	endswith(c.image, ":latest")
}

decision := {"allow": count(deny) == 0, "deny": deny, "warn": warn}
`;

const DATA_POLICY = `package demo

default allow := false

allow if input.user == data.allowed_user

greeting := sprintf("hello %s", [input.user])

amount := input.amount
`;

let work: string;
let srv: GateServer;
let logs: string[] = [];
let signedBundle: string;

function statement(sha = SUBJECT): Record<string, unknown> {
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "app", digest: { sha256: sha } }],
    predicateType: "https://example.com/custom/v1",
    predicate: { n: 1 },
  };
}

async function buildSigned(dir: string, out: string, revision: string, entrypoints: string[], keyPem: string): Promise<string> {
  const args = [BUN, CLI, "bundle", "build", dir, "-o", out, "--revision", revision];
  for (const e of entrypoints) args.push("-e", e);
  const r = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  const key = loadSigningKey(keyPem, "ES256");
  const { bytes } = await signBundleArchive(new Uint8Array(readFileSync(out)), out, { key, algorithm: "ES256", keyId: "gate-2026" });
  writeFileSync(out, bytes);
  return out;
}

function cfg(extra: Record<string, unknown> = {}): ServeConfig {
  return resolveServeConfig(
    {
      addr: "127.0.0.1:0",
      max_body_bytes: 64 * 1024,
      service: { name: "gate-test", instance_id: "gate-0", environment: "test" },
      bundle: { file: signedBundle },
      keys: { "gate-2026": { key_file: "pub.pem", algorithm: "ES256" } },
      ...extra,
    },
    work,
    "0.0.0-test",
  );
}

async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = { "Content-Type": "application/json" }) {
  const r = await fetch(srv.url + path, { method: "POST", body, headers });
  const text = await r.text();
  let j: any;
  try {
    j = JSON.parse(text);
  } catch {
    j = text;
  }
  return { status: r.status, body: j };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tollgate-serve-"));
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(join(work, "pub.pem"), publicKey.export({ type: "spki", format: "pem" }));
  const priv = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  mkdirSync(join(work, "policy/tollgate/gate"), { recursive: true });
  mkdirSync(join(work, "policy/tollgate/admission"), { recursive: true });
  writeFileSync(join(work, "policy/tollgate/gate/gate.rego"), GATE);
  writeFileSync(join(work, "policy/tollgate/admission/admission.rego"), ADMISSION);
  writeFileSync(join(work, "policy/demo.rego"), DATA_POLICY);
  writeFileSync(join(work, "policy/data.json"), JSON.stringify({ allowed_user: "alice", marker: "rev-serve" }));
  signedBundle = await buildSigned(join(work, "policy"), join(work, "gate.tar.gz"), "rev-serve", ["tollgate/gate/decision", "tollgate/admission/decision", "demo/allow", "demo/greeting", "demo/amount"], priv);
  srv = await startGateServer(cfg(), { log: (l) => logs.push(l) });
}, 30_000);

afterAll(async () => {
  await srv?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("config", () => {
  test("validated with the schema: unknown keys and bad values are named", () => {
    expect(() => resolveServeConfig({ addr: "127.0.0.1:0", bogus: 1 }, work, "v")).toThrow(/invalid serve config: \/ must NOT have additional properties \(bogus\)/);
    expect(() => resolveServeConfig({ max_body_bytes: 10 }, work, "v")).toThrow(/\/max_body_bytes must be >= 1024/);
    expect(() => resolveServeConfig({ bundle: { file: "x", service: "http://h" } }, work, "v")).toThrow(/invalid serve config/);
    expect(() => resolveServeConfig({ keys: { k: { key_file: "pub.pem", algorithm: "XX1" } } }, work, "v")).toThrow(/\/keys\/k\/algorithm must be equal to one of the allowed values/);
    expect(() => resolveServeConfig({ decision_logs: { file: "d.jsonl" } }, work, "v")).toThrow("decision_logs need service.environment (the deployment.environment Resource attribute of every record)");
    const polling = (p: Record<string, number>) => () => resolveServeConfig({ bundle: { service: "http://127.0.0.1:1", allow_unsigned: true, polling: p } }, work, "v");
    expect(polling({ min_delay_seconds: 0, max_delay_seconds: 0 })).toThrow("invalid serve config: /bundle/polling/min_delay_seconds must be > 0");
    expect(polling({ min_delay_seconds: 5, max_delay_seconds: 1 })).toThrow("bundle.polling: max_delay_seconds (1) < min_delay_seconds (5)");
  });

  test("a bundle source with no keys and no allow_unsigned is refused at start", () => {
    expect(() => resolveServeConfig({ bundle: { file: "gate.tar.gz" } }, work, "v")).toThrow(/no bundle verification keys configured/);
    expect(resolveServeConfig({ bundle: { file: "gate.tar.gz", allow_unsigned: true } }, work, "v").allowUnsigned).toBe(true);
    expect(() => resolveServeConfig({ bundle: { file: "gate.tar.gz", signing: { exclude_files: ["[z-a]"] } }, keys: { k: { key_file: "pub.pem" } } }, work, "v")).toThrow('bundle.signing.exclude_files: exclude pattern "[z-a]" is not a valid file pattern');
    // a forced key id must be one of keys: — an inherited Object property name is not
    for (const keyid of ["nope", "constructor"]) {
      expect(() => resolveServeConfig({ bundle: { file: "gate.tar.gz", signing: { keyid } }, keys: { k: { key_file: "pub.pem" } } }, work, "v")).toThrow(`bundle.signing.keyid "${keyid}" is not in keys`);
    }
  });

  test("the CLI refuses a bad config with exit 2 and names the file", () => {
    writeFileSync(join(work, "bad.yaml"), "addr: nowhere\n");
    const r = Bun.spawnSync([BUN, CLI, "serve", "--config", join(work, "bad.yaml")], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toMatch(/bad\.yaml: invalid serve config: \/addr must match pattern/);
    // no --config, a misspelt flag, a stray argument: usage errors (exit 2), never a gate started half-configured
    const cases: [string[], string][] = [
      [[], "tollgate serve: give --config FILE"],
      [["--config", join(work, "bad.yaml"), "--adr", "127.0.0.1:0"], "tollgate serve: Unknown option '--adr'"],
      [["gate.yaml"], "tollgate serve: unexpected argument gate.yaml (the gate is configured by --config FILE)"],
    ];
    for (const [args, line] of cases) {
      const u = Bun.spawnSync([BUN, CLI, "serve", ...args], { stdout: "pipe", stderr: "pipe" });
      expect([u.exitCode, u.stderr.toString().trim()]).toEqual([2, line]);
    }
  });

  test("unreadable evidence trust material refuses to start (it failed every /v1/gate with 500 instead)", async () => {
    const refusal = async (evidence: Record<string, unknown>) => {
      try {
        await startGateServer(cfg({ evidence }), { log: () => {} });
      } catch (e) {
        return (e as TollgateError).oneLine();
      }
      throw new Error("started");
    };
    expect(await refusal({ key_files: ["no-such.pub"] })).toBe(`${join(work, "no-such.pub")}: public key not found`);
    writeFileSync(join(work, "not-a-root.json"), "{");
    expect(await refusal({ trusted_root_file: "not-a-root.json" })).toStartWith(`${join(work, "not-a-root.json")}: trusted root is not JSON`);
  });

  test("with keys configured, allow_unsigned does not admit an unsigned bundle (stripping .signatures.json is refused)", async () => {
    const { readArchive, writeArchive } = await import("../src/policy/signing.ts");
    const stripped = (await readArchive(new Uint8Array(readFileSync(signedBundle)), "x")).filter((e) => e.name !== ".signatures.json");
    writeFileSync(join(work, "stripped.tar.gz"), await writeArchive(stripped));
    let err: TollgateError | undefined;
    try {
      await startGateServer(cfg({ bundle: { file: "stripped.tar.gz", allow_unsigned: true } }), { log: () => {} });
    } catch (e) {
      err = e as TollgateError;
    }
    expect([err?.code, err?.oneLine()]).toEqual(["bundle_unverified", `${join(work, "stripped.tar.gz")}: bundle rejected: bundle is unsigned: it has no .signatures.json`]);
    // a hot swap to it is refused too, keeping the signed bundle active
    const g = await startGateServer(cfg({ bundle: { file: signedBundle, allow_unsigned: true } }), { log: () => {} });
    try {
      expect(await g.bundles.offer(new Uint8Array(readFileSync(join(work, "stripped.tar.gz"))), "swap", undefined, false)).toBe(false);
      expect([g.bundles.failure?.code, g.bundles.active?.signature.status]).toEqual(["bundle_unverified", "verified"]);
    } finally {
      await g.stop();
    }
    // with no keys at all, allow_unsigned means what it says
    const open = await startGateServer(cfg({ bundle: { file: "stripped.tar.gz", allow_unsigned: true }, keys: {} }), { log: () => {} });
    expect(open.bundles.active?.signature.status).toBe("unsigned");
    await open.stop();
  });

  test("a tampered bundle file refuses to start", async () => {
    const bytes = new Uint8Array(readFileSync(signedBundle));
    const { readArchive, writeArchive } = await import("../src/policy/signing.ts");
    const entries = (await readArchive(bytes, "x")).map((e) => (e.name === "data.json" ? { name: e.name, bytes: new TextEncoder().encode('{"allowed_user":"mallory"}') } : e));
    const bad = join(work, "bad.tar.gz");
    writeFileSync(bad, await writeArchive(entries));
    const c = cfg({ bundle: { file: bad } });
    writeFileSync(join(work, "bad-bundle.yaml"), `bundle: {file: bad.tar.gz}\nkeys: {gate-2026: {key_file: pub.pem, algorithm: ES256}}\n`);
    const lines: string[] = [];
    const refusal = async (config: ServeConfig) => {
      try {
        await startGateServer(config, { log: (l) => lines.push(l) });
      } catch (e) {
        return [(e as TollgateError).code, (e as TollgateError).oneLine()];
      }
      throw new Error("started");
    };
    // the failure's own code, one "bundle rejected", the reason once — and no log line saying it again
    const [code, line] = await refusal(c);
    expect(code).toBe("digest_mismatch");
    expect(line).toMatch(new RegExp(`^${bad.replace(/[.\/]/g, "\\$&")}: bundle rejected: file data\\.json: SHA-256 digest mismatch \\(signed [0-9a-f]{64}, actual [0-9a-f]{64}\\)$`));
    expect(lines.filter((l) => l.includes("rejected"))).toEqual([]);
    const cli = Bun.spawnSync([BUN, CLI, "serve", "--config", join(work, "bad-bundle.yaml")], { stdout: "pipe", stderr: "pipe" });
    expect([cli.exitCode, cli.stderr.toString().trim().split("\n").length]).toEqual([2, 1]);
    expect(cli.stderr.toString()).toStartWith(`tollgate serve: ${bad}: bundle rejected: file data.json: SHA-256 digest mismatch`);
    expect(await refusal(cfg({ bundle: { file: "no-such.tar.gz" } }))).toEqual(["policy_unreadable", `${join(work, "no-such.tar.gz")}: bundle not found`]);
    expect(await refusal(cfg({ bundle: { file: "." } }))).toEqual(["policy_unreadable", `${work}: bundle is a directory, not a file`]);
  });
});

describe("tollgate serve (the CLI process)", () => {
  test("starts from a YAML config, prints its URL, answers, and stops cleanly on SIGTERM", async () => {
    writeFileSync(
      join(work, "serve.yaml"),
      `addr: "127.0.0.1:0"\nbundle:\n  file: gate.tar.gz\nkeys:\n  gate-2026:\n    key_file: pub.pem\n    algorithm: ES256\n`,
    );
    const proc = Bun.spawn([BUN, CLI, "serve", "--config", join(work, "serve.yaml")], { stdout: "pipe", stderr: "pipe" });
    try {
      const url = await servedUrl(proc);
      expect(url).toBeDefined();
      const r = await fetch(`${url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice" } }) });
      expect(((await r.json()) as any).result).toBe(true);
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
    expect(await new Response(proc.stderr).text()).toContain("SIGTERM, stopping");
  }, 20_000);

  test("a stopped gate (one thread or several) leaves nothing pending: a process that embeds it ends right after stop()", async () => {
    // stop() bounds its graceful waits (5 s, 6 s for the worker threads); a bound raced as a bare sleep stays
    // pending after the race and held the process open until it fired.
    const script = `
      import { resolveServeConfig } from ${JSON.stringify(join(REPO_ROOT, "src/serve/config.ts"))};
      import { startGateServer } from ${JSON.stringify(join(REPO_ROOT, "src/serve/server.ts"))};
      const gate = await startGateServer(resolveServeConfig({ addr: "127.0.0.1:0", workers: Number(process.argv[2]), bundle: { file: "gate.tar.gz" }, keys: { "gate-2026": { key_file: "pub.pem", algorithm: "ES256" } } }, ${JSON.stringify(work)}, "v"), { log: () => {} });
      const r = await fetch(gate.url + "/v1/data/demo/allow", { method: "POST", body: JSON.stringify({ input: { user: "alice" } }) });
      console.log(JSON.stringify(await r.json()));
      await gate.stop();
      console.log("stopped");
    `;
    writeFileSync(join(work, "embed.ts"), script);
    for (const workers of [1, 2]) {
      const proc = Bun.spawn([BUN, join(work, "embed.ts"), String(workers)], { stdout: "pipe", stderr: "pipe" });
      const killer = setTimeout(() => proc.kill(), 15_000);
      let out = "";
      let stoppedAt = 0;
      const dec = new TextDecoder();
      for await (const chunk of proc.stdout) {
        out += dec.decode(chunk);
        if (!stoppedAt && out.includes("stopped\n")) stoppedAt = performance.now();
      }
      const code = await proc.exited;
      const lingered = performance.now() - stoppedAt;
      clearTimeout(killer);
      expect(out).toContain(`"result":true`);
      expect(stoppedAt).toBeGreaterThan(0);
      expect(code).toBe(0);
      // Ends on its own, well before the shortest of those bounds would have fired.
      expect(lingered).toBeLessThan(3_000);
    }
  }, 40_000);
});

describe("health and readiness", () => {
  test("/health is ok; /ready details the active bundle and its verified signature", async () => {
    expect((await fetch(srv.url + "/health")).status).toBe(200);
    const r = await fetch(srv.url + "/ready");
    expect(r.status).toBe(200);
    const s = (await r.json()) as any;
    expect(s.ready).toBe(true);
    expect(s.bundle.revision).toBe("rev-serve");
    expect(s.bundle.signature).toEqual({ status: "verified", keyId: "gate-2026", algorithm: "ES256" });
    expect(s.bundle.entrypoints).toContain("tollgate/gate/decision");
    expect(s.last_failure).toBeNull();
    expect(logs.some((l) => l.startsWith("bundle activated:") && l.includes('revision "rev-serve"'))).toBe(true);
  });
});

describe("POST /v1/data (OPA-compatible)", () => {
  test("{input} → {result, decision_id}", async () => {
    const a = await post("/v1/data/demo/allow", JSON.stringify({ input: { user: "alice" } }));
    expect(a.status).toBe(200);
    expect(a.body.result).toBe(true);
    expect(a.body.decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const b = await post("/v1/data/demo/allow", JSON.stringify({ input: { user: "bob" } }));
    expect(b.body.result).toBe(false);
    const g = await post("/v1/data/demo/greeting", JSON.stringify({ input: { user: "carol" } }));
    expect(g.body.result).toBe("hello carol");
  });

  test("an undefined result has no result key (as OPA); the same input gets the same decision id", async () => {
    const u1 = await post("/v1/data/demo/greeting", JSON.stringify({ input: {} }));
    const u2 = await post("/v1/data/demo/greeting", JSON.stringify({ input: {} }));
    expect(u1.status).toBe(200);
    expect("result" in u1.body).toBe(false);
    expect(u1.body.decision_id).toBe(u2.body.decision_id);
    // the same input at another entrypoint is another decision, with its own id
    const other = await post("/v1/data/demo/allow", JSON.stringify({ input: {} }));
    expect(other.body.decision_id).not.toBe(u1.body.decision_id);
  });

  test("the input's bytes as sent go to the policy: any JSON layout, duplicate keys as OPA, the id from those bytes", async () => {
    const pretty = '{\n  "input" : {\n    "user": "alice"\n  }\n}\n';
    const a = await post("/v1/data/demo/allow", pretty);
    expect([a.status, a.body.result]).toEqual([200, true]);
    // The id derives from the input's text between `"input":` and the closing brace, exactly as it arrived.
    const sha = (await post(`/v1/gate?subject=sha256:${SUBJECT}`, JSON.stringify(statement()))).body.bundle.sha256;
    const span = pretty.slice(pretty.indexOf(":") + 1, pretty.lastIndexOf("}"));
    const spanDigest = `sha256:${new Bun.CryptoHasher("sha256").update(span).digest("hex")}`;
    expect(a.body.decision_id).toBe(decisionId({ inputDigest: spanDigest, entrypoint: "demo/allow", bundleRevision: "rev-serve", bundleSha256: sha }));
    // Duplicate "input" members: the last one counts (JSON.parse, and Go's encoding/json in opa).
    const dup = await post("/v1/data/demo/allow", '{"input":{"user":"bob"},"input":{"user":"alice"}}');
    expect([dup.status, dup.body.result]).toEqual([200, true]);
    const dup2 = await post("/v1/data/demo/allow", '{"input":{"user":"alice"},"input":{"user":"bob"}}');
    expect([dup2.status, dup2.body.result]).toEqual([200, false]);
    // Other members beside input: evaluated from the parsed body, the id from the input's canonical form.
    const extra = await post("/v1/data/demo/greeting", '{"input":{"user":"dora"},"explain":"off"}');
    expect([extra.status, extra.body.result]).toEqual([200, "hello dora"]);
    expect((await post("/v1/data/demo/greeting", '{"explain":"off","input":{"user":"dora"}}')).body.decision_id).toBe(extra.body.decision_id);
    // Escapes and non-ASCII text arrive as the policy would see them from any other layout.
    const esc = await post("/v1/data/demo/greeting", '{"input":{"user":"\\u00e9t\\u00E9 \\/ \\ud83d\\ude00 \\"q\\" caf\u00e9"}}');
    expect([esc.status, esc.body.result]).toEqual([200, 'hello \u00e9t\u00e9 / \u{1f600} "q" caf\u00e9']);
  });

  test("48 concurrent requests, refused bodies and undefined results among them: each answered from its own input", async () => {
    // Requests whose bodies arrive in the same event-loop turn are evaluated back to back (evaluationTurn, a speed
    // measure that no answer may show): a refused body or an undefined result among them touches no other answer.
    const users = Array.from({ length: 48 }, (_, i) => (i % 3 === 0 ? "alice" : `user${i}`));
    const answers = await Promise.all(
      users.map((user, i) =>
        i % 8 === 7
          ? post("/v1/data/demo/allow", `{"input":{"user":"${user}"}} trailing`)
          : post(i % 2 ? "/v1/data/demo/greeting" : "/v1/data/demo/allow", JSON.stringify({ input: i % 10 === 5 ? {} : { user } })),
      ),
    );
    answers.forEach((a, i) => {
      const user = users[i]!;
      if (i % 8 === 7) expect([a.status, a.body.code]).toEqual([400, "invalid_parameter"]);
      else if (i % 10 === 5) expect([a.status, "result" in a.body]).toEqual([200, false]); // greeting of no user: undefined
      else expect([a.status, a.body.result]).toEqual([200, i % 2 ? `hello ${user}` : user === "alice"]);
    });
  });

  test("numbers reach the policy as written, as opa reads them (not rounded through a JS double)", async () => {
    const r = await fetch(srv.url + "/v1/data/demo/amount", { method: "POST", body: '{"input":{"amount":12345678901234567890123}}', headers: { "Content-Type": "application/json" } });
    expect(await r.text()).toStartWith('{"result":12345678901234567890123,');
  });

  test("a body that is not exactly one JSON object is refused, whatever follows its input", async () => {
    for (const body of ['{"input":{"user":"alice"}} x', '{"input":{"user":"alice"},}', '{"input":{"user":"alice"}}}', '{"input":{"user":"alice"} "x"}', '{"input":01}']) {
      const r = await post("/v1/data/demo/allow", body);
      expect([r.status, r.body.code]).toEqual([400, "invalid_parameter"]);
      expect(r.body.message).toContain("request body is not valid JSON");
    }
  });

  test("data_files overlay the bundle's data, later files winning (as eval --data)", async () => {
    writeFileSync(join(work, "d1.yaml"), "allowed_user: bob\nextra: {a: 1}\n");
    writeFileSync(join(work, "d2.json"), JSON.stringify({ allowed_user: "carol", extra: { b: 2 } }));
    const s = await startGateServer(cfg({ data_files: ["d1.yaml", "d2.json"] }), { log: () => {} });
    try {
      const ask = async (user: string) => (await (await fetch(s.url + "/v1/data/demo/allow", { method: "POST", body: JSON.stringify({ input: { user } }) })).json()) as { result: boolean };
      expect([(await ask("alice")).result, (await ask("bob")).result, (await ask("carol")).result]).toEqual([false, false, true]);
    } finally {
      await s.stop();
    }
  });

  test("GET evaluates without input, or with ?input=<JSON>, like OPA's GET /v1/data", async () => {
    const r = await fetch(srv.url + "/v1/data/demo/allow");
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).result).toBe(false);
    const q = await fetch(srv.url + "/v1/data/demo/allow?input=" + encodeURIComponent(JSON.stringify({ user: "alice" })));
    expect(((await q.json()) as any).result).toBe(true);
    const bad = await fetch(srv.url + "/v1/data/demo/allow?input=%7Bnope");
    const j = (await bad.json()) as any;
    expect([bad.status, j.code]).toEqual([400, "invalid_parameter"]);
    expect(j.message).toStartWith("/v1/data/demo/allow: the input query parameter is not valid JSON");
  });

  test("an unknown path is 404; bad bodies are 400 with a reason", async () => {
    const nf = await post("/v1/data/demo/nope", JSON.stringify({ input: {} }));
    expect(nf.status).toBe(404);
    expect(nf.body.code).toBe("undefined_document");
    expect(nf.body.message).toContain("data.demo.nope is not an entrypoint of the active bundle");
    const root = await post("/v1/data", JSON.stringify({ input: {} }));
    expect([root.status, root.body.code]).toEqual([404, "undefined_document"]);
    expect(root.body.message).toStartWith("document missing: the whole data document is not served; ask /v1/data/{entrypoint} (entrypoints: ");
    const bad = await post("/v1/data/demo/allow", "{nope");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/request body is not valid JSON/);
    const arr = await post("/v1/data/demo/allow", "[1]");
    expect(arr.status).toBe(400);
    expect(arr.body.message).toContain('body must be a JSON object {"input": …}');
  });

  test("a form-urlencoded or multipart body is refused (415), never evaluated: a browser sends those cross-site without asking", async () => {
    const body = JSON.stringify({ input: { user: "alice" } });
    const form = await post("/v1/data/demo/allow", body, { "Content-Type": "application/x-www-form-urlencoded" });
    expect([form.status, form.body.code, form.body.message]).toEqual([415, "unsupported_media_type", "/v1/data/demo/allow: content type application/x-www-form-urlencoded is not accepted (send application/json)"]);
    expect(form.body.result).toBeUndefined();
    const multi = await post("/v1/data/demo/allow", body, { "Content-Type": "multipart/form-data; boundary=x" });
    expect([multi.status, multi.body.code]).toEqual([415, "unsupported_media_type"]);
    // the same body as JSON is evaluated
    expect((await post("/v1/data/demo/allow", body)).body.result).toBe(true);
  });
});

describe("POST /v1/gate", () => {
  test("one evidence document (exact bytes) with ?subject → allow", async () => {
    const r = await post(`/v1/gate?subject=sha256:${SUBJECT}`, JSON.stringify(statement()));
    expect(r.status).toBe(200);
    expect(r.body.allow).toBe(true);
    expect(r.body.deny).toEqual([]);
    expect(r.body.warn).toEqual([{ rule: "test.revision", msg: "evaluated by rev-serve" }]);
    expect(r.body.subject).toBe(`sha256:${SUBJECT}`);
    expect(r.body.evidence).toEqual([{ path: "request/evidence.json", kind: "in-toto", signature: "unsigned" }]);
    expect(r.body.decision_id).toBe(decisionId({ inputDigest: r.body.input_digest, entrypoint: "tollgate/gate/decision", bundleRevision: "rev-serve", bundleSha256: r.body.bundle.sha256 }));
  });

  test("subjects as DigestSets: several ?subject values, sha512 integrity values, wrapper arrays", async () => {
    const sha512 = "ab".repeat(64);
    const integrity = "sha512-" + Buffer.from(sha512, "hex").toString("base64");
    const r = await post(`/v1/gate?subject=sha256:${SUBJECT}&subject=${encodeURIComponent(integrity)}`, JSON.stringify(statement()));
    expect(r.status).toBe(200);
    expect(r.body.allow).toBe(true);
    expect(r.body.subject).toBe(`sha256:${SUBJECT}`);
    expect(r.body.subject_digest).toEqual({ sha256: SUBJECT, sha512 });
    const w = await post("/v1/gate", JSON.stringify({ evidence: [{ path: "a.json", content: statement() }], subject: [`sha512:${sha512}`] }));
    expect(w.status).toBe(200);
    expect(w.body.subject).toBe(`sha512:${sha512}`);
    expect(w.body.subject_digest).toEqual({ sha512 });
    // this test policy binds on sha256 only: a sha512-only subject leaves the statement unbound
    expect(w.body.allow).toBe(false);
    const bad = await post("/v1/gate", JSON.stringify({ evidence: [{ path: "a.json", content: statement() }], subject: [1] }));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("subject must be a digest string");
    const conflict = await post(`/v1/gate?subject=sha256:${SUBJECT}&subject=sha256:${"0".repeat(64)}`, JSON.stringify(statement()));
    expect(conflict.status).toBe(400);
    expect(conflict.body.message).toContain("conflicting subjects");
    // one artifact by two algorithms is not a conflict; a sha512 in the body beside a sha256 query joins the set
    const joined = await post(`/v1/gate?subject=sha256:${SUBJECT}`, JSON.stringify({ evidence: [{ path: "a.json", content: statement() }], subject: `sha512:${sha512}` }));
    expect(joined.body.subject_digest).toEqual({ sha256: SUBJECT, sha512 });
  });

  test("wrapper form {evidence: [{path, content | content_base64}], subject} → deny naming the unbound file", async () => {
    const body = {
      subject: `sha256:${SUBJECT}`,
      evidence: [
        { path: "att/good.json", content: JSON.stringify(statement()) },
        { path: "att/other.json", content: statement("b".repeat(64)) },
        { path: "att/b64.json", content_base64: Buffer.from(JSON.stringify(statement("c".repeat(64)))).toString("base64") },
      ],
    };
    const r = await post("/v1/gate", JSON.stringify(body));
    expect(r.status).toBe(200);
    expect(r.body.allow).toBe(false);
    expect(r.body.evidence.map((e: { path: string; kind: string }) => [e.path, e.kind])).toEqual([["att/good.json", "in-toto"], ["att/other.json", "in-toto"], ["att/b64.json", "in-toto"]]);
    expect(r.body.deny).toEqual([
      { rule: "test.unbound", msg: "att/b64.json is not bound to the subject" },
      { rule: "test.unbound", msg: "att/other.json is not bound to the subject" },
    ]);
  });

  test("an array of documents; unreadable evidence becomes input.errors and denies", async () => {
    const r = await post(`/v1/gate?subject=sha256:${SUBJECT}`, JSON.stringify([statement(), { hello: "world" }]));
    expect(r.status).toBe(200);
    expect(r.body.allow).toBe(false);
    expect(r.body.errors).toEqual([{ source: "request/evidence-1.json", code: "unknown_kind", message: "not a kind of evidence tollgate recognizes" }]);
    expect(r.body.deny.map((d: { rule: string }) => d.rule)).toEqual(["input.error"]);
  });

  test("multipart files with a subject field", async () => {
    const form = new FormData();
    form.append("subject", `sha256:${SUBJECT}`);
    form.append("evidence", new File([JSON.stringify(statement())], "provenance.json", { type: "application/json" }));
    const res = await fetch(srv.url + "/v1/gate", { method: "POST", body: form });
    const j = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(j.allow).toBe(true);
    expect(j.evidence[0].path).toBe("upload/provenance.json");
  });

  test("signed evidence is verified with the configured evidence keys (loaded once at start)", async () => {
    const ex = (p: string) => join(REPO_ROOT, "examples", p);
    const body = JSON.stringify({
      evidence: ["provenance.intoto.json", "test-result.intoto.json"].map((f) => ({ path: `evidence/${f}`, content: readFileSync(ex(`evidence/${f}`), "utf8") })),
    });
    const statuses = async (extra: Record<string, unknown>) => {
      const g = await startGateServer(cfg(extra), { log: () => {} });
      try {
        const r = await fetch(`${g.url}/v1/gate`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
        return ((await r.json()) as any).evidence.map((e: { signature: string }) => e.signature);
      } finally {
        await g.stop();
      }
    };
    expect(await statuses({ evidence: { key_files: [ex("keys/release.pub")] } })).toEqual(["verified", "verified"]);
    expect(await statuses({})).not.toContain("verified"); // no key configured: nothing to verify them with
  });

  describe("the subject: every input path validated, and all of them agreeing", () => {
    const other = "b".repeat(64);
    const wrapper = (subject?: unknown) => JSON.stringify({ ...(subject !== undefined ? { subject } : {}), evidence: [{ path: "att/s.json", content: statement() }] });
    const multipart = (...subjects: string[]) => {
      const form = new FormData();
      for (const s of subjects) form.append("subject", s);
      form.append("evidence", new File([JSON.stringify(statement())], "s.json", { type: "application/json" }));
      return form;
    };
    const send = async (path: string, body: string | FormData) => {
      const init: RequestInit = { method: "POST", body };
      if (typeof body === "string") init.headers = { "Content-Type": "application/json" };
      const r = await fetch(srv.url + path, init);
      return { status: r.status, body: (await r.json()) as any };
    };

    test("query vs body: a conflict is a 400 (the body's subject silently won and its digest was admitted)", async () => {
      const r = await send(`/v1/gate?subject=sha256:${other}`, wrapper(`sha256:${SUBJECT}`));
      expect([r.status, r.body.code]).toEqual([400, "invalid_parameter"]);
      expect(r.body.message).toBe(`/v1/gate: conflicting subjects: the subject query parameter is sha256:${other}, the body's subject is sha256:${SUBJECT}`);
      expect(r.body.allow).toBeUndefined();
      // the same digest in both (spelled differently) is one subject
      const same = await send(`/v1/gate?subject=SHA256:${SUBJECT.toUpperCase()}`, wrapper(`sha256:${SUBJECT}`));
      expect([same.status, same.body.allow, same.body.subject]).toEqual([200, true, `sha256:${SUBJECT}`]);
    });

    test("query: an invalid query subject is a 400 even when the body has a valid one; two query subjects must agree", async () => {
      const r = await send("/v1/gate?subject=sha256:xyz", wrapper(`sha256:${SUBJECT}`));
      expect([r.status, r.body.message]).toEqual([400, "/v1/gate: the subject query parameter: not a sha256 digest: sha256:xyz (want sha256:<64 hex>)"]);
      const empty = await send("/v1/gate?subject=", wrapper(`sha256:${SUBJECT}`));
      expect(empty.status).toBe(400);
      const two = await send(`/v1/gate?subject=sha256:${SUBJECT}&subject=sha256:${other}`, JSON.stringify(statement()));
      expect([two.status, two.body.message]).toEqual([400, `/v1/gate: conflicting subjects: the subject query parameter is sha256:${SUBJECT}, the subject query parameter is sha256:${other}`]);
    });

    test("body: an invalid or non-string body subject is a 400 (with or without a query subject)", async () => {
      const bad = await send("/v1/gate", wrapper("sha256:nothex"));
      expect([bad.status, bad.body.message]).toEqual([400, "/v1/gate: the body's subject: not a sha256 digest: sha256:nothex (want sha256:<64 hex>)"]);
      const num = await send(`/v1/gate?subject=sha256:${SUBJECT}`, wrapper(42));
      expect([num.status, num.body.message]).toEqual([400, "/v1/gate: the body's subject must be a digest string (sha256:<hex>, sha384:<hex>, sha512:<hex>, sha512-<base64>) or an array of them"]);
    });

    test("headers (multipart parts): an invalid subject field, two that differ, or one that conflicts with the query is a 400", async () => {
      const bad = await send("/v1/gate", multipart("sha256:zz"));
      expect([bad.status, bad.body.message]).toEqual([400, "/v1/gate: the multipart subject field: not a sha256 digest: sha256:zz (want sha256:<64 hex>)"]);
      const two = await send("/v1/gate", multipart(`sha256:${SUBJECT}`, `sha256:${other}`));
      expect([two.status, two.body.message]).toEqual([400, `/v1/gate: conflicting subjects: the multipart subject field is sha256:${SUBJECT}, the multipart subject field is sha256:${other}`]);
      const vsQuery = await send(`/v1/gate?subject=sha256:${other}`, multipart(`sha256:${SUBJECT}`));
      expect([vsQuery.status, vsQuery.body.message]).toEqual([400, `/v1/gate: conflicting subjects: the subject query parameter is sha256:${other}, the multipart subject field is sha256:${SUBJECT}`]);
      const badQuery = await send("/v1/gate?subject=nope", multipart(`sha256:${SUBJECT}`));
      expect(badQuery.status).toBe(400);
      const asFile = new FormData();
      asFile.append("subject", new File([`sha256:${SUBJECT}`], "subject.txt"));
      asFile.append("evidence", new File([JSON.stringify(statement())], "s.json"));
      const file = await send("/v1/gate", asFile);
      expect([file.status, file.body.message]).toEqual([400, "/v1/gate: the multipart subject field must be a plain value, not a file part"]);
      const ok = await send(`/v1/gate?subject=sha256:${SUBJECT}`, multipart(`sha256:${SUBJECT}`));
      expect([ok.status, ok.body.allow]).toEqual([200, true]);
    });
  });

  test("evidence items keep to the input limits (limits: in the config): nesting 400, size 413, named", async () => {
    const deep = "[".repeat(2000) + "]".repeat(2000);
    const d = await post("/v1/gate", JSON.stringify({ evidence: [{ path: "att/deep.json", content: deep }] }));
    expect([d.status, d.body.code, d.body.message]).toEqual([400, "limit_exceeded", "/v1/gate: att/deep.json: JSON nested 2000 levels deep exceeds the JSON nesting limit of 1000 levels (raise it with limits.max_json_depth in the config)"]);
    const g = await startGateServer(cfg({ limits: { max_input_bytes: 1000, max_json_depth: 3 } }), { log: () => {} });
    try {
      const big = await fetch(`${g.url}/v1/gate`, { method: "POST", body: JSON.stringify({ evidence: [{ path: "a.json", content: "x".repeat(2000) }] }), headers: { "Content-Type": "application/json" } });
      expect([big.status, ((await big.json()) as any).message]).toEqual([413, "/v1/gate: a.json: 2000 bytes exceeds the per-input size limit of 1000 bytes (raise it with limits.max_input_bytes in the config)"]);
      const four = await fetch(`${g.url}/v1/gate`, { method: "POST", body: "[[[[[1]]]]]", headers: { "Content-Type": "application/json" } });
      expect([four.status, ((await four.json()) as any).code]).toEqual([400, "limit_exceeded"]);
    } finally {
      await g.stop();
    }
  });

  test("bad requests: 400 bad JSON / bad subject / empty, 415 content type, 405 method, 404 route", async () => {
    const a = await post("/v1/gate", "not json");
    expect([a.status, a.body.code]).toEqual([400, "invalid_parameter"]);
    const b = await post("/v1/gate?subject=sha256:xyz", JSON.stringify(statement()));
    expect(b.status).toBe(400);
    expect(b.body.message).toContain("not a sha256 digest: sha256:xyz");
    const c = await post("/v1/gate", "");
    expect(c.body.message).toContain("empty request body");
    const d = await post("/v1/gate", "x", { "Content-Type": "text/plain" });
    expect(d.status).toBe(415);
    const e = await fetch(srv.url + "/v1/gate");
    expect(e.status).toBe(405);
    const f = await fetch(srv.url + "/v2/whatever");
    expect(f.status).toBe(404);
  });

  test("413 for bodies over max_body_bytes, declared or streamed", async () => {
    const big = JSON.stringify({ input: { pad: "x".repeat(70 * 1024) } });
    const a = await post("/v1/data/demo/allow", big);
    expect(a.status).toBe(413);
    expect(a.body.message).toMatch(/exceeds max_body_bytes \(65536\)/);
    // chunked (no Content-Length): counted while reading
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(8 * 1024)));
        c.close();
      },
    });
    const res = await fetch(srv.url + "/v1/gate", { method: "POST", body: stream, headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toBe("request body exceeds max_body_bytes (65536)");
    // far beyond the limit, declared or streamed: still the JSON 413 naming the limit (Bun's own cap answered a
    // bare 413 with no body, and a streamed one was logged as an internal error), and the service carries on
    const before = logs.length;
    const huge = await fetch(srv.url + "/v1/gate", { method: "POST", body: new Uint8Array(4 * 1024 * 1024), headers: { "Content-Type": "application/json" } });
    expect([huge.status, ((await huge.json()) as { code: string }).code]).toEqual([413, "request_too_large"]);
    const endless = new ReadableStream({
      pull(c) {
        c.enqueue(new Uint8Array(256 * 1024));
      },
    });
    const streamed = await fetch(srv.url + "/v1/data/demo/allow", { method: "POST", body: endless, headers: { "Content-Type": "application/json" } });
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { message: string }).message).toBe("request body exceeds max_body_bytes (65536)");
    expect(logs.slice(before).filter((l) => l.includes("internal error"))).toEqual([]);
    expect((await post("/v1/data/demo/allow", JSON.stringify({ input: { user: "alice" } }))).body.result).toBe(true);
  });

  test("the service survives a barrage of hostile requests, each answered with the client's error", async () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const junk: [string, RequestInit, number, string | RegExp][] = [
      ["/v1/gate", { method: "POST", body: new Uint8Array([0xff, 0xfe, 0x00, 0x01]), headers: { "Content-Type": "application/json" } }, 400, /request body is not valid JSON/],
      ["/v1/gate", { method: "POST", body: "--x\r\nbroken", headers: { "Content-Type": "multipart/form-data; boundary=x" } }, 400, /multipart body is malformed/],
      ["/v1/gate", { method: "POST", body: JSON.stringify({ evidence: [{ path: "p", content_base64: "%%%" }] }), headers: { "Content-Type": "application/json" } }, 400, "/v1/gate: evidence[0] (p): content_base64 is not valid base64"],
      ["/v1/gate", { method: "POST", body: JSON.stringify({ evidence: [{ path: "p", content_base64: "YWJjZA=" }] }), headers: { "Content-Type": "application/json" } }, 400, "/v1/gate: evidence[0] (p): content_base64 has a truncated or mis-padded base64 length"],
      ["/v1/gate", { method: "POST", body: JSON.stringify({ evidence: [{ path: "p", content_base64: 5 }] }), headers: { "Content-Type": "application/json" } }, 400, "/v1/gate: evidence[0] (p): content_base64 is not a string"],
      ["/v1/data/%E0%A4%A", { method: "POST", body: "{}" }, 400, "path /%E0%A4%A is not valid percent-encoded UTF-8"],
      ["/v1/admission", { method: "POST", body: "[]" }, 400, '/v1/admission: want an AdmissionReview with apiVersion "admission.k8s.io/v1"'],
      // Nesting beyond Go's (and so OPA's) 10000 levels is refused before it can exhaust the stack.
      ["/v1/data/demo/allow", { method: "POST", body: `{"input":${deep(10_001)}}` }, 400, "/v1/data/demo/allow: request body nests JSON deeper than 10000 levels"],
      ["/v1/gate", { method: "POST", body: deep(20_000), headers: { "Content-Type": "application/json" } }, 400, "/v1/gate: request body nests JSON deeper than 10000 levels"],
      ["/v1/admission", { method: "POST", body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":${deep(20_000)}}}` }, 400, /nests JSON deeper than 10000 levels/],
    ];
    for (const [p, init, status, message] of junk) {
      const r = await fetch(srv.url + p, init);
      const text = await r.text();
      const j = JSON.parse(text) as { code: string; message: string };
      expect([p, r.status, j.code]).toEqual([p, status, "invalid_parameter"]);
      if (typeof message === "string") expect(j.message).toBe(message);
      else expect(j.message).toMatch(message);
    }
    // Brackets inside strings do not count as nesting, and 5000 levels are still evaluated.
    const strings = await post("/v1/data/demo/allow", JSON.stringify({ input: { user: "[".repeat(20_000) } }));
    expect([strings.status, strings.body.result]).toEqual([200, false]);
    const nested = await post("/v1/data/demo/allow", `{"input":${deep(5000)}}`);
    expect([nested.status, nested.body.result]).toEqual([200, false]);
    expect((await fetch(srv.url + "/health")).status).toBe(200);
    expect((await post("/v1/data/demo/allow", JSON.stringify({ input: { user: "alice" } }))).body.result).toBe(true);
  });
});

describe("POST /v1/admission (AdmissionReview v1)", () => {
  const review = (images: string[], uid = "705ab4f5-6393-11e8-b7cc-42010a800002") => ({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      operation: "CREATE",
      object: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } },
    },
  });

  test("denied: uid echoed, allowed false, status lists every deny message, warnings", async () => {
    const r = await post("/v1/admission", JSON.stringify(review(["nginx:latest", "redis@sha256:" + "c".repeat(64)])));
    expect(r.status).toBe(200);
    expect(r.body.apiVersion).toBe("admission.k8s.io/v1");
    expect(r.body.kind).toBe("AdmissionReview");
    expect(r.body.response.uid).toBe("705ab4f5-6393-11e8-b7cc-42010a800002");
    expect(r.body.response.allowed).toBe(false);
    expect(r.body.response.status).toEqual({ code: 403, reason: "Forbidden", message: "[k8s.digest-pinned] container c0 image nginx:latest is not pinned by digest" });
    expect(r.body.response.warnings).toEqual(["[k8s.latest] container c0 uses :latest"]);
    // the audit annotation key is a bare qualified name: the API server prefixes "<webhook name>/" and refuses a
    // key that then holds two "/"
    expect(Object.keys(r.body.response.auditAnnotations)).toEqual(["tollgate-decision-id"]);
    expect(r.body.response.auditAnnotations["tollgate-decision-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(`tollgate.example.com/${Object.keys(r.body.response.auditAnnotations)[0]}`).toMatch(/^[a-z0-9.-]+\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
  });

  test("allowed: digest-pinned images", async () => {
    const r = await post("/v1/admission", JSON.stringify(review(["redis@sha256:" + "c".repeat(64)], "u-2")));
    expect(r.body.response).toMatchObject({ uid: "u-2", allowed: true });
    expect(r.body.response.status).toBeUndefined();
  });

  test("a bundle without the admission entrypoint refuses every review, saying why (fail closed)", async () => {
    const other = await startGateServer(cfg({ admission: { entrypoint: "nope/decision" } }), { log: () => {} });
    try {
      const r = await fetch(`${other.url}/v1/admission`, { method: "POST", body: JSON.stringify(review(["redis@sha256:" + "c".repeat(64)], "u-3")) });
      const j = (await r.json()) as any;
      expect(r.status).toBe(200);
      expect(j.response).toMatchObject({ uid: "u-3", allowed: false, status: { code: 500, reason: "InternalError", message: "[admission.entrypoint] policy bundle has no admission entrypoint nope/decision" } });
    } finally {
      await other.stop();
    }
  });

  test("not an AdmissionReview / no uid → 400", async () => {
    const a = await post("/v1/admission", JSON.stringify({ kind: "Pod" }));
    expect(a.status).toBe(400);
    expect(a.body.message).toContain("want an AdmissionReview");
    const b = await post("/v1/admission", JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: {} }));
    expect(b.body.message).toContain("request.uid is missing");
  });
});

describe("the embedded default bundle", () => {
  test("no bundle configured: the real gate policy decides (fails closed on unknown evidence)", async () => {
    const s = await startGateServer(resolveServeConfig({ addr: "127.0.0.1:0" }, work, "v"), { log: () => {} });
    try {
      const r = await fetch(s.url + "/v1/gate", { method: "POST", body: JSON.stringify({ not: "evidence" }), headers: { "Content-Type": "application/json" } });
      const j = (await r.json()) as any;
      expect(r.status).toBe(200);
      expect(j.allow).toBe(false);
      const rules = j.deny.map((d: { rule: string }) => d.rule);
      expect(rules).toContain("input.error");
      expect(rules).toContain("gate.subject");
      const ready = (await (await fetch(s.url + "/ready")).json()) as any;
      expect(ready.bundle.signature.status).toBe("embedded");
      // its admission policy: images by tag are refused, and with no data.admitted_digests nothing is admitted
      const review = (uid: string, image: string) => JSON.stringify({
        apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
        request: { uid, operation: "CREATE", kind: { group: "apps", version: "v1", kind: "Deployment" }, object: { spec: { template: { spec: { containers: [{ name: "api", image }] } } } } },
      });
      const byTag = (await (await fetch(s.url + "/v1/admission", { method: "POST", body: review("u-9", "nginx:latest") })).json()) as any;
      expect(byTag.response).toMatchObject({ uid: "u-9", allowed: false });
      expect(byTag.response.status.message).toContain("[I4.image-digest] container api runs image nginx:latest by tag, not by digest");
      const unlisted = (await (await fetch(s.url + "/v1/admission", { method: "POST", body: review("u-10", "r/api@sha256:" + "a".repeat(64)) })).json()) as any;
      expect(unlisted.response.allowed).toBe(false);
      expect(unlisted.response.status.message).toContain("I4.admitted-digests");
    } finally {
      await s.stop();
    }
  });
});
