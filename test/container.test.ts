// The container image definition (Containerfile) and what it promises, tested without a container runtime
// (none runs here: docker has no daemon, podman/buildah are absent): its instructions are parsed and checked,
// and the binary it ships is run the way the image runs it — as uid/gid 65532, HOME unset, a read-only working
// directory and config, only TMPDIR writable — serving TLS with auth; afterwards nothing owned by 65532 exists
// outside TMPDIR.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { freePort } from "./support/registry.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./support/fixtures.ts";
import { makeCa, makeLeaf } from "./support/tls-certs.ts";

interface Instruction { cmd: string; args: string; line: number }

/** Dockerfile syntax as BuildKit reads it: comments, line continuations, one instruction per logical line. */
export function parseContainerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = "", start = 0;
  text.split("\n").forEach((raw, i) => {
    if (!buf && /^\s*(#|$)/.test(raw)) return;
    if (buf && /^\s*#/.test(raw)) return; // comment lines inside a continuation are dropped
    if (!buf) start = i + 1;
    if (/\\\s*$/.test(raw)) { buf += raw.replace(/\\\s*$/, " "); return; }
    buf += raw;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(buf);
    if (!m) throw new Error(`Containerfile:${start}: not an instruction: ${buf}`);
    out.push({ cmd: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    buf = "";
  });
  return out;
}

const ins = parseContainerfile(readFileSync(join(REPO_ROOT, "Containerfile"), "utf8"));
const stages = ins.reduce<Instruction[][]>((acc, i) => (i.cmd === "FROM" ? [...acc, [i]] : (acc[acc.length - 1]!.push(i), acc)), []);
const final = stages[stages.length - 1]!;

describe("Containerfile", () => {
  test("the parser reads continuations and rejects junk", () => {
    expect(parseContainerfile("# c\nFROM a AS b\nRUN x \\\n  # inner\n  y\n")).toEqual([{ cmd: "FROM", args: "a AS b", line: 2 }, { cmd: "RUN", args: "x    y", line: 3 }]);
    expect(() => parseContainerfile("FROM a\njunk\n")).toThrow("Containerfile:2: not an instruction: junk");
  });

  test("a build stage makes the binary with scripts/build-binary.sh; the runtime stage is distroless or scratch plus the binary", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.some((i) => i.cmd === "RUN" && i.args.includes("scripts/build-binary.sh")))!;
    expect(build).toBeDefined();
    const buildName = /\bAS\s+(\S+)/i.exec(build[0]!.args)![1];
    expect(final[0]!.args).toMatch(/^(gcr\.io\/distroless\/[a-z0-9-]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?|scratch)$/);
    // No shell in distroless: the runtime stage runs nothing, it only copies the binary in.
    expect(final.filter((i) => i.cmd === "RUN")).toEqual([]);
    const copies = final.filter((i) => i.cmd === "COPY");
    expect(copies.length).toBe(1);
    expect(copies[0]!.args).toContain(`--from=${buildName}`);
    expect(copies[0]!.args).toMatch(/\s\/usr\/local\/bin\/tollgate$/);
  });

  test("non-root 65532, ENTRYPOINT tollgate serve (exec form), TMPDIR on /tmp, nothing declared writable elsewhere", () => {
    const users = final.filter((i) => i.cmd === "USER");
    expect(users.map((u) => u.args)).toEqual(["65532:65532"]);
    const ep = final.filter((i) => i.cmd === "ENTRYPOINT");
    expect(ep.length).toBe(1);
    expect(JSON.parse(ep[0]!.args)).toEqual(["/usr/local/bin/tollgate", "serve"]);
    const cmd = JSON.parse(final.find((i) => i.cmd === "CMD")!.args);
    expect(cmd).toEqual(["--config", "/etc/tollgate/config.yaml"]);
    expect(final.some((i) => i.cmd === "ENV" && /^TMPDIR=\/tmp$/.test(i.args))).toBe(true);
    expect(final.filter((i) => i.cmd === "VOLUME")).toEqual([]);
    // The deployment mounts the config at the CMD's path and exposes the port the image does.
    const deployment = readFileSync(join(REPO_ROOT, "deploy/kubernetes/deployment.yaml"), "utf8");
    expect(deployment).toContain("mountPath: /etc/tollgate");
    const port = final.find((i) => i.cmd === "EXPOSE")!.args;
    expect(deployment).toContain(`containerPort: ${port}`);
  });
});

// --- the binary as the image runs it ---
const root = process.getuid?.() === 0;
const setpriv = Bun.which("setpriv");
const live = root && setpriv ? describe : describe.skip;
if (!live) console.log(`container.test: the run-as-65532 part needs root and setpriv (root=${root}, setpriv=${setpriv ?? "absent"}); skipped`);

let dir = "", bin = "", tmp = "", port = 0;
let proc: ReturnType<typeof Bun.spawn> | undefined;
let stderr = "";

live("the binary as uid 65532 with a read-only cwd and no HOME", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tollgate-container-"));
    chmodSync(dir, 0o755);
    bin = join(dir, "bin", "tollgate");
    const b = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/build-binary.sh"), "-o", bin], { cwd: REPO_ROOT, stdout: "pipe", stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`build-binary.sh failed: ${b.stderr.toString()}`);
    const etc = join(dir, "etc");
    mkdirSync(etc);
    const ca = makeCa(etc, "ca");
    makeLeaf(etc, ca, "server", "server");
    writeFileSync(join(etc, "tokens"), "s3cret-token\n");
    writeFileSync(join(etc, "config.yaml"), `addr: 127.0.0.1:8443\ntls:\n  cert_file: server.pem\n  key_file: server.key\nauth:\n  bearer_tokens_file: tokens\n`);
    for (const f of readdirSync(etc)) chmodSync(join(etc, f), 0o444);
    chmodSync(etc, 0o555); // read-only for 65532 (root owns it)
    tmp = join(dir, "tmp");
    mkdirSync(tmp);
    Bun.spawnSync(["chown", "65532:65532", tmp]);
    port = await freePort();
    writeFileSync(join(dir, "marker"), "");
    proc = Bun.spawn([setpriv!, "--reuid=65532", "--regid=65532", "--clear-groups", "--", bin, "serve", "--config", join(etc, "config.yaml"), "--addr", `127.0.0.1:${port}`], {
      cwd: etc, // the working directory is read-only
      env: { PATH: "/usr/bin:/bin", TMPDIR: tmp }, // HOME unset
      stdout: "pipe", stderr: "pipe",
    });
    (async () => { for await (const c of proc!.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(c); })();
  }, 120_000);

  afterAll(async () => {
    proc?.kill();
    await proc?.exited;
    if (dir) { Bun.spawnSync(["chmod", "-R", "u+w", dir]); rmSync(dir, { recursive: true, force: true }); }
  });

  test("serves /health over TLS, refuses /v1/* without the token, and writes only under TMPDIR", async () => {
    const caPem = readFileSync(join(dir, "etc", "ca.ca.pem"), "utf8");
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      try { health = await fetch(`https://127.0.0.1:${port}/health`, { tls: { ca: caPem } }); } catch { await Bun.sleep(100); }
      if (proc!.exitCode !== null) break;
    }
    expect(proc!.exitCode).toBeNull();
    expect(health?.status).toBe(200);
    const ready = await fetch(`https://127.0.0.1:${port}/ready`, { tls: { ca: caPem } });
    expect(ready.status).toBe(200);
    const noToken = await fetch(`https://127.0.0.1:${port}/v1/gate`, { method: "POST", body: "{}", tls: { ca: caPem } });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toStartWith("Bearer");
    expect(stderr).not.toMatch(/EACCES|EROFS|permission denied/i);
    // Whatever the process made is 65532's: find it all outside TMPDIR (there must be nothing).
    const found = Bun.spawnSync(["find", "/tmp", "/var/tmp", "/dev/shm", dir, "-xdev", "-uid", "65532", "-newer", join(dir, "marker"), "-not", "-path", `${tmp}*`], { stdout: "pipe", stderr: "pipe" });
    expect(found.stdout.toString().trim()).toBe("");
    expect(statSync(tmp).uid).toBe(65532);
  }, 60_000);
});
