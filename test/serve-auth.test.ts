// Bearer-token authentication on `tollgate serve` (auth.bearer_tokens_file; OPA's --authentication=token), over
// real HTTP and HTTPS on 127.0.0.1: /health and /ready stay open, every other request needs a token from the
// file (401 with an RFC 6750 challenge otherwise, one log line, the body never read or evaluated), the file is
// re-read when it changes, on every worker thread.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BearerAuth, parseTokenFile } from "../src/serve/auth.ts";
import type { ServeConfig } from "../src/serve/config.ts";
import { startGateServer, type GateServer } from "../src/serve/server.ts";
import { BUN, CLI, servedUrl } from "./support/cli.ts";
import { buildSignedBundle, gateConfig, makeSigningKeys, until } from "./support/serve-bundle.ts";
import { makeCa, makeLeaf, type CertFiles } from "./support/tls-certs.ts";

const TOKEN_A = "tg_ci-runner.Zm9vYmFyYmF6MTIz";
const TOKEN_B = "tg_admission~webhook+2026/x==";
const TOKEN_C = "tg_rotated-0c0ffee";

let work: string;
let bundleFile: string;
let pubFile: string;
let ca: CertFiles;
let server: CertFiles;

function writeTokens(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function cfg(extra: Record<string, unknown>): ServeConfig {
  return gateConfig(work, bundleFile, pubFile, "gate-auth", extra);
}

const REVIEW = JSON.stringify({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: { uid: "a1b2", kind: { group: "", version: "v1", kind: "Pod" }, operation: "CREATE", object: { spec: { containers: [{ name: "c", image: "nginx@sha256:" + "e".repeat(64) }] } } },
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tollgate-serve-auth-"));
  const keys = makeSigningKeys(work);
  pubFile = keys.pubFile;
  bundleFile = join(work, "gate.tar.gz");
  writeFileSync(bundleFile, await buildSignedBundle(work, "rev-auth", keys.priv, { admission: true }));
  ca = makeCa(work, "auth-ca");
  server = makeLeaf(work, ca, "gate", "server");
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("token file", () => {
  test("one token per line; blank lines, # comments and surrounding spaces ignored", () => {
    const t = parseTokenFile(new TextEncoder().encode(`# CI\n${TOKEN_A}\n\n   ${TOKEN_B}  \r\n# ${TOKEN_C} (commented out)\n`), "t");
    expect(t).toHaveLength(2);
  });

  test("a line that is not a token is refused by line number, without echoing it", () => {
    expect(() => parseTokenFile(new TextEncoder().encode(`${TOKEN_A}\nBearer s3cr3t-value\n`), "tokens.txt")).toThrow("bearer token file line 2 is not a token (RFC 6750 b64token: letters, digits, -._~+/ then optional =)");
    try {
      parseTokenFile(new TextEncoder().encode("Bearer s3cr3t-value\n"), "tokens.txt");
    } catch (e) {
      expect((e as Error).message).not.toContain("s3cr3t");
    }
  });

  test("only the exact token is accepted: not a prefix, an extension, another case or a neighbour", () => {
    const p = join(work, "unit.tokens");
    writeFileSync(p, `${TOKEN_A}\n${TOKEN_B}\n`);
    const auth = BearerAuth.load(p, () => {});
    try {
      expect([auth.accepts(TOKEN_A), auth.accepts(TOKEN_B)]).toEqual([true, true]);
      expect([auth.accepts(TOKEN_A.slice(0, -1)), auth.accepts(TOKEN_A + "x"), auth.accepts(TOKEN_A.toUpperCase()), auth.accepts(""), auth.accepts(TOKEN_C)]).toEqual([false, false, false, false, false]);
    } finally {
      auth.stop();
    }
  });

  test("a missing, empty or malformed file refuses the start, naming it", () => {
    const refusal = (file: string) => {
      try {
        cfg({ auth: { bearer_tokens_file: file } });
        return "started";
      } catch (e) {
        return (e as Error & { oneLine(): string }).oneLine();
      }
    };
    writeFileSync(join(work, "empty.tokens"), "# nobody yet\n\n");
    writeFileSync(join(work, "bad.tokens"), `${TOKEN_A}\nhas space inside\n`);
    expect(refusal("nope.tokens")).toBe(`${join(work, "nope.tokens")}: bearer token file not found`);
    expect(refusal("empty.tokens")).toBe(`${join(work, "empty.tokens")}: bearer token file lists no tokens: every /v1/* request would be refused`);
    expect(refusal("bad.tokens")).toBe(`${join(work, "bad.tokens")}: bearer token file line 2 is not a token (RFC 6750 b64token: letters, digits, -._~+/ then optional =)`);
    expect(refusal("")).toContain("invalid serve config");
  });
});

for (const mode of ["http", "https"] as const) {
  describe(`auth over ${mode}`, () => {
    let gate: GateServer;
    const logs: string[] = [];
    const tokens = () => join(work, `${mode}.tokens`);
    const req = (path: string, init: RequestInit = {}) => fetch(`${gate.url}${path}`, { ...init, tls: { ca: readFileSync(ca.cert, "utf8") } } as RequestInit);
    const allow = (token?: string, auth?: string) =>
      req("/v1/data/demo/allow", { method: "POST", body: JSON.stringify({ input: { user: "alice" } }), headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : token ? { Authorization: `Bearer ${token}` } : {}) } });

    beforeAll(async () => {
      writeTokens(tokens(), `# tokens for ${mode}\n${TOKEN_A}\n${TOKEN_B}\n`);
      gate = await startGateServer(cfg({ auth: { bearer_tokens_file: tokens() }, ...(mode === "https" ? { tls: { cert_file: server.cert, key_file: server.key } } : {}) }), { log: (l) => logs.push(l) });
    });
    afterAll(async () => gate?.stop());

    test("/health and /ready answer without a token", async () => {
      expect((await req("/health")).status).toBe(200);
      const r = await req("/ready");
      expect([r.status, ((await r.json()) as any).bundle.revision]).toEqual([200, "rev-auth"]);
    });

    test("no token: 401, WWW-Authenticate: Bearer realm with no error code (RFC 6750 §3.1), one log line", async () => {
      const before = logs.length;
      const r = await allow();
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe('Bearer realm="tollgate"');
      expect(await r.json()).toEqual({ code: "unauthorized", message: "authentication required: send Authorization: Bearer <token>" });
      expect(logs.slice(before)).toEqual(["401 POST /v1/data/demo/allow: no Authorization header"]);
    });

    test("another scheme (Basic) is no bearer credential: 401 with the plain challenge", async () => {
      const before = logs.length;
      const r = await allow(undefined, `Basic ${btoa(`user:${TOKEN_A}`)}`);
      expect([r.status, r.headers.get("www-authenticate")]).toEqual([401, 'Bearer realm="tollgate"']);
      expect(logs.slice(before)).toEqual(["401 POST /v1/data/demo/allow: Authorization is not a Bearer credential"]);
    });

    test('a wrong token: 401 with error="invalid_token", one log line that does not echo the token', async () => {
      for (const bad of [TOKEN_C, TOKEN_A + "x", TOKEN_A.slice(1), "", "two words"]) {
        const before = logs.length;
        const r = await allow(undefined, `Bearer ${bad}`);
        expect(r.status).toBe(401);
        expect(r.headers.get("www-authenticate")).toBe('Bearer realm="tollgate", error="invalid_token", error_description="the access token is not valid"');
        expect(((await r.json()) as any).code).toBe("unauthorized");
        expect(logs.slice(before)).toEqual(["401 POST /v1/data/demo/allow: invalid bearer token"]);
      }
    });

    test("a valid token is served (the scheme is case-insensitive); either token of the file works", async () => {
      const a = await allow(TOKEN_A);
      expect([a.status, ((await a.json()) as any).result]).toEqual([200, true]);
      const b = await allow(undefined, `bearer ${TOKEN_B}`);
      expect([b.status, ((await b.json()) as any).result]).toEqual([200, true]);
    });

    test("every /v1 endpoint needs it: an admission review without a token is 401, never allowed; with one it is decided", async () => {
      const before = logs.length;
      const r = await req("/v1/admission", { method: "POST", body: REVIEW, headers: { "Content-Type": "application/json" } });
      expect(r.status).toBe(401);
      expect(JSON.stringify(await r.json())).not.toContain("allowed");
      const g = await req("/v1/gate", { method: "POST", body: "{}", headers: { "Content-Type": "application/json", Authorization: "Bearer nope" } });
      expect(g.status).toBe(401);
      const unknown = await req("/v1/whatever");
      expect(unknown.status).toBe(401);
      expect(logs.slice(before)).toEqual(["401 POST /v1/admission: no Authorization header", "401 POST /v1/gate: invalid bearer token", "401 GET /v1/whatever: no Authorization header"]);
      const ok = await req("/v1/admission", { method: "POST", body: REVIEW, headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN_B}` } });
      expect(((await ok.json()) as any).response).toMatchObject({ uid: "a1b2", allowed: true });
      expect((await req("/v1/whatever", { headers: { Authorization: `Bearer ${TOKEN_B}` } })).status).toBe(404);
    });

    test("an oversized body without a token is 401 (never read); with a token 413; one log line each", async () => {
      const before = logs.length;
      const body = "x".repeat(20_000);
      const r = await req("/v1/gate", { method: "POST", body, headers: { "Content-Type": "application/json" } });
      expect(r.status).toBe(401);
      const t = await req("/v1/gate", { method: "POST", body, headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN_A}` } });
      expect(t.status).toBe(413);
      expect(logs.slice(before)).toEqual(["401 POST /v1/gate: no Authorization header", "413 POST /v1/gate: request body of 20000 bytes exceeds max_body_bytes (4096)"]);
      expect((await allow(TOKEN_A)).status).toBe(200);
    });

    test("the token file is re-read when it changes: a removed token is refused, an added one accepted", async () => {
      writeTokens(tokens(), `${TOKEN_C}\n`);
      await until("the new token accepted", async () => ((await allow(TOKEN_C)).status === 200 ? true : undefined), 10_000);
      expect((await allow(TOKEN_A)).status).toBe(401);
      expect(logs).toContain(`auth: ${tokens()} reloaded (1 token)`);
    });

    test("a reload with a malformed line is refused (one log line) and the current tokens stay", async () => {
      const before = logs.length;
      writeTokens(tokens(), `${TOKEN_A}\nnot a token\n`);
      await until("the refusal logged", async () => (logs.slice(before).some((l) => l.startsWith("auth:")) ? true : undefined), 10_000);
      await Bun.sleep(1500);
      expect(logs.slice(before).filter((l) => l.startsWith("auth:"))).toEqual([`auth: new contents refused (${tokens()}: bearer token file line 2 is not a token (RFC 6750 b64token: letters, digits, -._~+/ then optional =)); keeping the current one`]);
      expect((await allow(TOKEN_C)).status).toBe(200);
      expect((await allow(TOKEN_A)).status).toBe(401);
    });

    test("emptied (every token revoked): every /v1 request is refused, the probes still answer", async () => {
      writeTokens(tokens(), "# revoked\n");
      await until("revocation", async () => ((await allow(TOKEN_C)).status === 401 ? true : undefined), 10_000);
      expect(logs).toContain(`auth: ${tokens()} reloaded (0 tokens: every /v1/* request is now refused)`);
      expect((await req("/health")).status).toBe(200);
    });
  });
}

describe("auth with workers: 3", () => {
  let gate: GateServer;
  const logs: string[] = [];
  const tokens = () => join(work, "workers.tokens");
  const fresh = (token?: string) =>
    fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice" } }), headers: { "Content-Type": "application/json", Connection: "close", ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
  const thread = async () => ((await (await fetch(`${gate.url}/health`, { headers: { Connection: "close" } })).json()) as { thread: number }).thread;

  beforeAll(async () => {
    writeTokens(tokens(), `${TOKEN_A}\n`);
    gate = await startGateServer(cfg({ workers: 3, auth: { bearer_tokens_file: tokens() } }), { log: (l) => logs.push(l) });
  }, 30_000);
  afterAll(async () => gate?.stop());

  test("every thread checks the token the same way, and every one reloads the file", async () => {
    const threads = new Set<number>();
    for (let i = 0; i < 200 && threads.size < 3; i++) threads.add(await thread());
    expect([...threads].sort()).toEqual([0, 1, 2]);
    const denied = logs.length;
    for (let i = 0; i < 30; i++) {
      expect((await fresh()).status).toBe(401);
      expect((await fresh(TOKEN_A)).status).toBe(200);
    }
    const lines = logs.slice(denied);
    expect(lines).toHaveLength(30);
    expect(new Set(lines.map((l) => /^worker (\d)/.exec(l)?.[1] ?? "0")).size).toBeGreaterThan(1);
    writeTokens(tokens(), `${TOKEN_B}\n`);
    await until("3 threads reloaded", async () => (logs.filter((l) => l.endsWith(`auth: ${tokens()} reloaded (1 token)`)).length >= 3 ? true : undefined), 10_000);
    for (let i = 0; i < 30; i++) {
      expect((await fresh(TOKEN_A)).status).toBe(401);
      expect((await fresh(TOKEN_B)).status).toBe(200);
    }
  }, 60_000);
});

describe("read once at start", () => {
  test("the token file the config read and checked is what every thread serves; it is not read again at start", async () => {
    const p = join(work, "once.tokens");
    writeTokens(p, `${TOKEN_A}\n`);
    const c = cfg({ workers: 2, auth: { bearer_tokens_file: p } });
    // Changed after the config read it: a thread that read it again would refuse to start (or serve TOKEN_B).
    writeTokens(p, `${TOKEN_B}\nBearer not-a-token-line\n`);
    const logs: string[] = [];
    const gate = await startGateServer(c, { log: (l) => logs.push(l) });
    try {
      const call = (token: string) => fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice" } }), headers: { "Content-Type": "application/json", Connection: "close", Authorization: `Bearer ${token}` } });
      const threads = new Set<number>();
      for (let i = 0; i < 200 && threads.size < 2; i++) threads.add(((await (await fetch(`${gate.url}/health`, { headers: { Connection: "close" } })).json()) as { thread: number }).thread);
      expect([...threads].sort()).toEqual([0, 1]);
      for (let i = 0; i < 20; i++) {
        expect((await call(TOKEN_A)).status).toBe(200);
        expect((await call(TOKEN_B)).status).toBe(401);
      }
      // The change is then seen by each thread's watch, and refused there (the tokens checked at start stay).
      await until("both threads refused the new contents", async () => (logs.filter((l) => /^(worker 1: )?auth: new contents refused \(.*line 2 is not a token/.test(l)).length >= 2 ? true : undefined), 10_000);
    } finally {
      await gate.stop();
    }
  }, 60_000);
});

describe("the CLI: --authentication=token --bearer-tokens-file", () => {
  const yaml = () => {
    const p = join(work, "cli.yaml");
    writeFileSync(p, `addr: "127.0.0.1:0"\nbundle:\n  file: ${bundleFile}\nkeys:\n  k:\n    key_file: ${pubFile}\n    algorithm: ES256\n`);
    return p;
  };

  test("serves with the tokens of the file", async () => {
    writeTokens(join(work, "cli.tokens"), `${TOKEN_A}\n`);
    const proc = Bun.spawn([BUN, CLI, "serve", "--config", yaml(), "--authentication=token", "--bearer-tokens-file", join(work, "cli.tokens")], { stdout: "pipe", stderr: "pipe" });
    try {
      const url = await servedUrl(proc);
      expect(url).toBeDefined();
      expect((await fetch(`${url}/v1/data/demo/allow`, { method: "POST", body: "{}" })).status).toBe(401);
      expect((await fetch(`${url}/v1/data/demo/allow`, { method: "POST", body: "{}", headers: { Authorization: `Bearer ${TOKEN_A}` } })).status).toBe(200);
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
    expect(await new Response(proc.stderr).text()).toContain("tollgate serve: 401 POST /v1/data/demo/allow: no Authorization header");
  }, 30_000);

  test("--authentication=token without tokens, or off against configured tokens: one line, exit 2", () => {
    const run = (args: string[], config = yaml()) => {
      const r = Bun.spawnSync([BUN, CLI, "serve", "--config", config, ...args], { stdout: "pipe", stderr: "pipe" });
      return [r.exitCode, r.stderr.toString().trim()];
    };
    expect(run(["--authentication=token"])).toEqual([2, "tollgate serve: --authentication=token needs --bearer-tokens-file (or auth.bearer_tokens_file in the config): the tokens clients must present"]);
    expect(run(["--authentication=off", "--bearer-tokens-file", join(work, "cli.tokens")])).toEqual([2, "tollgate serve: --authentication=off contradicts the bearer tokens configured; remove them instead"]);
    expect(run(["--bearer-tokens-file", join(work, "no-such.tokens")])).toEqual([2, `tollgate serve: ${join(work, "no-such.tokens")}: bearer token file not found`]);
  }, 30_000);
});
