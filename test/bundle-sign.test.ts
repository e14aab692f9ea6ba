// Signed OPA bundles, interoperable with the real `opa` both ways. Keys are generated at test time; opa is the
// pinned binary (test/support/opa.ts: $OPA, PATH or ~/go/bin).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactSign } from "jose";
import {
  bundleFileDigest,
  describeRejection,
  loadSigningKey,
  loadVerificationKey,
  readArchive,
  rejectionReason,
  signBundleArchive,
  signBundleFiles,
  signaturesFileBytes,
  verifyBundleSignature,
  writeArchive,
  type ArchiveEntry,
  type BundleKeyring,
  type SigningAlgorithm,
} from "../src/policy/signing.ts";
import { canonicalText, goJsonString, parseStructured } from "../src/policy/signing/canonical.ts";
import { tollgate as runTollgate } from "./support/cli.ts";
import { runOpa } from "./support/opa.ts";
import { readBundle } from "../src/policy/bundle.ts";

let work: string;
let unsigned: Uint8Array; // built by `tollgate bundle build`
let unsignedPath: string;

const POLICY = `package gate

default allow := false

allow if input.user == data.allowed_user
`;
// Numbers in their source form, HTML characters, U+2028, a control character and non-ASCII: every case where a
// naive JSON.stringify canonicalization would differ from OPA's Go encoder.
const DATA = `{
  "allowed_user": "alice",
  "limits": {"ratio": 1.50, "big": 12345678901234567890, "exp": 1e3, "neg": -0.0},
  "html": "<b>&amp;</b>\\u2028\\u0001\\b é ☃ 😀",
  "z": [true, false, null]
}`;

// The shared runners (test/support), in the work directory, with this file's short field names.
const short = (r: { code: number; stdout: string; stderr: string }) => ({ code: r.code, out: r.stdout, err: r.stderr });

function tollgate(...args: string[]) {
  return short(runTollgate(args, { cwd: work }));
}

function opa(...args: string[]) {
  return short(runOpa(args, work));
}

function pem(k: KeyObject): string {
  return k.export({ type: k.type === "private" ? "pkcs8" : "spki", format: "pem" }).toString();
}

interface Pair {
  alg: SigningAlgorithm;
  priv: string; // path
  pub: string; // path
}

const GEN: Record<string, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  rsa: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  p256: () => generateKeyPairSync("ec", { namedCurve: "P-256" }),
  p384: () => generateKeyPairSync("ec", { namedCurve: "P-384" }),
  p521: () => generateKeyPairSync("ec", { namedCurve: "P-521" }),
};

function makePair(name: string, alg: SigningAlgorithm, gen: keyof typeof GEN | "secret"): Pair {
  const priv = join(work, `${name}.key`);
  const pub = join(work, `${name}.pub`);
  if (gen === "secret") {
    writeFileSync(priv, `hmac-secret-${name}-0123456789abcdef`);
    writeFileSync(pub, `hmac-secret-${name}-0123456789abcdef`);
  } else {
    const { privateKey, publicKey } = GEN[gen]!();
    writeFileSync(priv, pem(privateKey));
    writeFileSync(pub, pem(publicKey));
  }
  return { alg, priv, pub };
}

function keyring(p: Pair, id = "default", scope?: string): BundleKeyring {
  const o: { algorithm: SigningAlgorithm; scope?: string } = { algorithm: p.alg };
  if (scope) o.scope = scope;
  return { [id]: loadVerificationKey(readFileSync(p.pub), o) };
}

async function signed(p: Pair, opts: { keyId?: string; scope?: string } = {}): Promise<Uint8Array> {
  const key = loadSigningKey(readFileSync(p.priv), p.alg);
  return (await signBundleArchive(unsigned, "test", { key, algorithm: p.alg, ...opts })).bytes;
}

async function mutate(bytes: Uint8Array, f: (entries: ArchiveEntry[]) => ArchiveEntry[]): Promise<Uint8Array> {
  return writeArchive(f(await readArchive(bytes, "test")));
}

function save(name: string, bytes: Uint8Array): string {
  const p = join(work, name);
  writeFileSync(p, bytes);
  return p;
}

let rsa: Pair;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "tollgate-sign-"));
  mkdirSync(join(work, "policy"));
  writeFileSync(join(work, "policy/gate.rego"), POLICY);
  writeFileSync(join(work, "policy/data.json"), DATA);
  const b = tollgate("bundle", "build", "policy", "-o", "unsigned.tar.gz", "-e", "gate/allow", "--revision", "rev-1");
  if (b.code !== 0) throw new Error(`bundle build failed: ${b.err}`);
  unsignedPath = join(work, "unsigned.tar.gz");
  unsigned = new Uint8Array(readFileSync(unsignedPath));
  rsa = makePair("rsa", "RS256", "rsa");
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("bundle build", () => {
  test("wraps opa build -t wasm, byte-reproducible, paths relative to DIR", async () => {
    const again = tollgate("bundle", "build", "policy", "-o", "again.tar.gz", "-e", "gate/allow", "--revision", "rev-1");
    expect(again.code).toBe(0);
    expect(Buffer.compare(readFileSync(join(work, "again.tar.gz")), Buffer.from(unsigned))).toBe(0);
    const names = (await readArchive(unsigned, "x")).map((e) => e.name).sort();
    expect(names).toEqual([".manifest", "data.json", "gate.rego", "policy.wasm"]);
    const b = await readBundle(unsigned, "x");
    expect(b.revision).toBe("rev-1");
    expect(b.manifest.wasm).toEqual([{ entrypoint: "gate/allow", module: "/policy.wasm" }]);
  });

  test("needs an entrypoint and reports opa's compile error", () => {
    expect(tollgate("bundle", "build", "policy", "-o", "x.tar.gz").code).toBe(2);
    mkdirSync(join(work, "broken"));
    writeFileSync(join(work, "broken/x.rego"), "package x\nallow if {");
    const r = tollgate("bundle", "build", "broken", "-o", "x.tar.gz", "-e", "x/allow");
    expect(r.code).toBe(2);
    expect(r.err).toContain("opa build failed");
  });
});

describe("OPA canonical hashing of structured files", () => {
  test("numbers keep their source text; strings are encoded like Go (no HTML escaping, U+2028 escaped)", () => {
    const v = parseStructured("data.json", new TextEncoder().encode('{"b":[1e3, 1.50],"a":"<&>\\u2028\\u0001\\b\\t","c":-0.0}'));
    expect(canonicalText(v)).toBe('{"a":"<&>\\u2028\\u0001\\b\\t","b":[1e3,1.50],"c":-0.0}');
    expect(goJsonString("\ud800x")).toBe('"\ufffdx"'); // a lone surrogate is invalid UTF-8 to Go
  });

  test("invalid UTF-8 becomes one U+FFFD per bad byte, as Go's decoder does (not per maximal subpart)", () => {
    // "a" E2 82 "b" (truncated 3-byte sequence), ED A0 80 (an encoded surrogate), C0 AF (overlong "/")
    const bytes = new Uint8Array([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0x61, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0x22, 0x7d]);
    expect(canonicalText(parseStructured("data.json", bytes))).toBe('{"s":"a\ufffd\ufffdb\ufffd\ufffd\ufffd\ufffd\ufffd"}');
  });

  test("keys sort bytewise in UTF-8 (Go), not by UTF-16 code unit", () => {
    const v = parseStructured("data.json", new TextEncoder().encode('{"\uff61":1,"\ud83d\ude00":2,"a":3}'));
    expect(canonicalText(v)).toBe('{"a":3,"\uff61":1,"\ud83d\ude00":2}');
  });

  test("only data.json/data.yaml/.manifest are structured: other files hash raw", () => {
    const text = new TextEncoder().encode('{ "a" : 1 }');
    expect(bundleFileDigest("x/data.json", text)).toBe(bundleFileDigest("y/data.json", new TextEncoder().encode('{"a":1}')));
    expect(bundleFileDigest("other.json", text)).not.toBe(bundleFileDigest("other.json", new TextEncoder().encode('{"a":1}')));
  });

  test("malformed structured file and weak hash algorithms are refused", () => {
    expect(() => bundleFileDigest("data.json", new TextEncoder().encode("{: ["))).toThrow(/neither valid JSON/);
    expect(() => bundleFileDigest("policy.wasm", new Uint8Array([1]), "MD5")).toThrow(/too weak/);
  });
});

const ALGS: [SigningAlgorithm, keyof typeof GEN | "secret"][] = [
  ["RS256", "rsa"], ["RS384", "rsa"], ["RS512", "rsa"],
  ["PS256", "rsa"], ["PS384", "rsa"], ["PS512", "rsa"],
  ["ES256", "p256"], ["ES384", "p384"], ["ES512", "p521"],
  ["HS256", "secret"],
];

describe("interop with opa, both ways, every algorithm", () => {
  for (const [alg, gen] of ALGS) {
    test(`${alg}: tollgate-signed loads in opa; opa-signed verifies in tollgate`, async () => {
      const p = makePair(`k-${alg}`, alg, gen);
      // tollgate signs (through the CLI) → opa verifies
      const tg = tollgate("bundle", "sign", "unsigned.tar.gz", "--signing-key", p.priv, "--signing-alg", alg, "-o", `tg-${alg}.tar.gz`);
      expect(tg.err).toBe("");
      expect(tg.code).toBe(0);
      const o = opa("build", "-b", `tg-${alg}.tar.gz`, "--verification-key", p.pub, "--signing-alg", alg, "-o", `opa-out-${alg}.tar.gz`);
      expect(o.err).toBe("");
      expect(o.code).toBe(0);
      // opa signs → tollgate verifies
      const os = opa("build", "-t", "wasm", "-b", "policy", "-e", "gate/allow", "--signing-key", p.priv, "--signing-alg", alg, "-o", `opa-${alg}.tar.gz`);
      expect(os.err).toBe("");
      expect(os.code).toBe(0);
      const v = tollgate("bundle", "verify", `opa-${alg}.tar.gz`, "--verification-key", p.pub, "--signing-alg", alg);
      expect(v.err).toBe("");
      expect(v.out).toContain("bundle signature verified");
      expect(v.code).toBe(0);
      // and our own verifier accepts our own signature
      expect(tollgate("bundle", "verify", `tg-${alg}.tar.gz`, "--verification-key", p.pub, "--signing-alg", alg).code).toBe(0);
    }, 30_000);
  }

  test("RS256 signing is deterministic: signing twice gives the same bytes", async () => {
    expect(Buffer.compare(Buffer.from(await signed(rsa)), Buffer.from(await signed(rsa)))).toBe(0);
  });

  test("scope: tollgate --scope is checked by opa --scope and by tollgate", async () => {
    const bytes = await signed(rsa, { scope: "prod-gates" });
    save("scoped.tar.gz", bytes);
    expect(opa("build", "-b", "scoped.tar.gz", "--verification-key", rsa.pub, "--scope", "prod-gates", "-o", "o.tar.gz").code).toBe(0);
    const wrongOpa = opa("build", "-b", "scoped.tar.gz", "--verification-key", rsa.pub, "--scope", "dev", "-o", "o.tar.gz");
    expect(wrongOpa.code).not.toBe(0);
    expect(wrongOpa.err + wrongOpa.out).toContain("scope mismatch");
    expect(tollgate("bundle", "verify", "scoped.tar.gz", "--verification-key", rsa.pub, "--scope", "prod-gates").code).toBe(0);
    const wrong = await verifyBundleSignature(await readArchive(bytes, "x"), keyring(rsa), { scope: "dev" });
    expect(wrong.ok).toBe(false);
    expect(wrong.code).toBe("signature_failed");
    expect(wrong.checks.at(-1)!.name).toBe("bundle.scope");
    expect(wrong.reason).toBe('scope mismatch: the bundle is signed for scope "prod-gates", the verifier requires "dev"');
    // a scoped bundle is refused by a verifier that asks for no scope (OPA compares exactly)
    const none = await verifyBundleSignature(await readArchive(bytes, "x"), keyring(rsa));
    expect(none.reason).toContain('signed for scope "prod-gates", the verifier requires ""');
  });

  test("claims file: custom claims are signed, keyid claim suppressed as in OPA", async () => {
    writeFileSync(join(work, "claims.json"), JSON.stringify({ iss: "policy-team", scope: "write" }));
    const r = tollgate("bundle", "sign", "unsigned.tar.gz", "--signing-key", rsa.priv, "--claims-file", "claims.json", "-o", "claims.tar.gz");
    expect(r.code).toBe(0);
    const res = await verifyBundleSignature(await readArchive(readFileSync(join(work, "claims.tar.gz")), "x"), keyring(rsa), { scope: "write" });
    expect(res.ok).toBe(true);
    expect(res.claims).toEqual({ iss: "policy-team", scope: "write" });
    expect(opa("build", "-b", "claims.tar.gz", "--verification-key", rsa.pub, "--scope", "write", "-o", "o.tar.gz").code).toBe(0);
  });
});

describe("structured files written by hand, checked against opa's own hashing", () => {
  // Not opa-built: raw JSON with escapes, duplicate keys, exponent and long numbers, a YAML data file in a
  // subdirectory, a non-data .json (hashed raw) and a .manifest with metadata. opa is the oracle.
  const HAND: Record<string, string> = {
    "data.json": '{"z": "\\u00e9\\/\\ud83d\\ude00 tab\\there", "a": 1.0E+2, "dup": 1, "dup": 2, "s": "\\u2028<>&\\u007f", "n": [0, -0, 1e-7, 123456789012345678901234567890], "nested": {"b": {}, "a": []}}',
    "sub/data.yaml": 'b: 1.0\na: [yes, "no", 0x10, 1e3, ~]\nc: "\\u00e9"\n',
    "sub/deep/other.json": '{"x":  1}',
    "p.rego": "package hand\n\nx := 1\n",
    ".manifest": '{"revision":"h1","metadata":{"k":"\\u00e9<>","n":1.50}}',
  };
  const entries = () => Object.entries(HAND).map(([name, text]) => ({ name, bytes: new TextEncoder().encode(text) }));

  test("a tollgate signature over them is accepted by opa; semantic edits are caught, reformatting is not", async () => {
    const key = loadSigningKey(readFileSync(rsa.priv), "RS256");
    const signedHand = (await signBundleArchive(await writeArchive(entries()), "hand", { key })).bytes;
    const ok = opa("build", "-b", save("hand.tar.gz", signedHand), "--verification-key", rsa.pub, "-o", "hand-out.tar.gz");
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    const edit = async (name: string, f: (t: string) => string) =>
      save(`hand-${name.replace(/\//g, "_")}.tar.gz`, await mutate(signedHand, (es) => es.map((e) => (e.name === name ? { name, bytes: new TextEncoder().encode(f(new TextDecoder().decode(e.bytes))) } : e))));
    // YAML reformatted (flow → block, same values): both accept
    const yamlReformatted = await edit("sub/data.yaml", () => 'c: "\\u00e9"\nb: 1.0\na:\n  - yes\n  - "no"\n  - 0x10\n  - 1e3\n  - null\n');
    expect(opa("build", "-b", yamlReformatted, "--verification-key", rsa.pub, "-o", "o.tar.gz").code).toBe(0);
    expect(tollgate("bundle", "verify", yamlReformatted, "--verification-key", rsa.pub).code).toBe(0);
    // a YAML value changed: both reject
    const yamlChanged = await edit("sub/data.yaml", (t) => t.replace("0x10", "0x11"));
    expect(opa("build", "-b", yamlChanged, "--verification-key", rsa.pub, "-o", "o.tar.gz").code).not.toBe(0);
    const r = tollgate("bundle", "verify", yamlChanged, "--verification-key", rsa.pub);
    expect(r.code).toBe(1);
    expect(r.err).toContain("file sub/data.yaml: SHA-256 digest mismatch");
    // a number's spelling is significant to OPA (json.Number): 1.0E+2 → 100 is a change for both
    const numberRespelled = await edit("data.json", (t) => t.replace("1.0E+2", "100"));
    expect(opa("build", "-b", numberRespelled, "--verification-key", rsa.pub, "-o", "o.tar.gz").code).not.toBe(0);
    expect(tollgate("bundle", "verify", numberRespelled, "--verification-key", rsa.pub).code).toBe(1);
    // the first of two duplicate keys is dropped by Go's decoder: editing it changes nothing for either
    const deadDuplicate = await edit("data.json", (t) => t.replace('"dup": 1', '"dup": 7'));
    expect(opa("build", "-b", deadDuplicate, "--verification-key", rsa.pub, "-o", "o.tar.gz").code).toBe(0);
    expect(tollgate("bundle", "verify", deadDuplicate, "--verification-key", rsa.pub).code).toBe(0);
    // a non-data .json is hashed raw: whitespace matters there
    const rawJson = await edit("sub/deep/other.json", () => '{"x": 1}');
    expect(opa("build", "-b", rawJson, "--verification-key", rsa.pub, "-o", "o.tar.gz").code).not.toBe(0);
    expect(tollgate("bundle", "verify", rawJson, "--verification-key", rsa.pub).code).toBe(1);
  });

  // go-yaml v3 (what OPA reads YAML with) is not YAML 1.2 core: legacy octals, `_` in numbers, yes/on as
  // strings, merge keys, 64-bit integer limits, -0.0, timestamps kept as strings. opa is the oracle for each.
  const YAML_CASES: Record<string, string> = {
    octal: "a: 0777\nb: 0o17\nc: 09\n",
    words: "a: [yes, no, y, n, on, off, True, FALSE, ~, null]\n",
    dates: "a: 2024-01-01\nb: 2001-12-14t21:59:43.10-05:00\n",
    merge: "base: &b {x: 1, z: 0}\nd:\n  <<: *b\n  y: 2\n  x: 9\n",
    mergeseq: "a: &a {x: 1}\nb: &b {x: 2, y: 3}\nc:\n  <<: [*a, *b]\n",
    numbers: "a: 1_000\nb: 1.5e3\nc: 123456789012345678901\nd: 18446744073709551615\ne: -0.0\nf: 1e21\ng: 0.0000001\nh: 1e400\n",
    radix: "a: 0x1F\nb: -0x10\nc: 0b101\nd: +12\ne: +.5\nf: .5\ng: .\n",
    keys: "1: a\n0x10: b\ntrue: c\n",
    strings: "a: !!str 12\nb: 'x'\nc: >\n  x\n  y\nd: hello\n  world\n",
    docs: "a: &v [1, 2]\nb: *v\nc: 1\nc: 2\n---\nz: 1\n",
  };
  for (const [name, text] of Object.entries(YAML_CASES)) {
    test(`data.yaml (${name}) hashes as opa hashes it`, async () => {
      const key = loadSigningKey(readFileSync(rsa.priv), "RS256");
      const signedYaml = (await signBundleArchive(await writeArchive([{ name: "data.yaml", bytes: new TextEncoder().encode(text) }]), "y", { key })).bytes;
      const r = opa("build", "-b", save(`yaml-${name}.tar.gz`, signedYaml), "--verification-key", rsa.pub, "-o", "o.tar.gz");
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
    });
  }

  test("YAML that has no JSON form (.inf, a null key) is refused, as opa refuses to load it", async () => {
    for (const text of ["a: .inf\n", "null: 1\n"]) {
      expect(() => bundleFileDigest("data.yaml", new TextEncoder().encode(text))).toThrow(/nor YAML: .*(no JSON form)/);
      const unsignedYaml = save("yaml-bad.tar.gz", await writeArchive([{ name: "data.yaml", bytes: new TextEncoder().encode(text) }]));
      expect(opa("build", "-b", unsignedYaml, "-o", "o.tar.gz").code).not.toBe(0);
    }
  });

  test("invalid UTF-8 inside data.json strings hashes as opa hashes it", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0x61, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80, 0x22, 0x7d]);
    const key = loadSigningKey(readFileSync(rsa.priv), "RS256");
    const signedBad = (await signBundleArchive(await writeArchive([{ name: "data.json", bytes }]), "u8", { key })).bytes;
    const r = opa("build", "-b", save("utf8.tar.gz", signedBad), "--verification-key", rsa.pub, "-o", "o.tar.gz");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  test("excluded files (opa --exclude-files-verify) may be unlisted", async () => {
    const key = loadSigningKey(readFileSync(rsa.priv), "RS256");
    const signedHand = (await signBundleArchive(await writeArchive(entries()), "hand", { key }));
    const withExtra = save("hand-extra.tar.gz", await mutate(signedHand.bytes, (es) => [...es, { name: "notes/readme.md", bytes: new TextEncoder().encode("# notes\n") }]));
    expect(tollgate("bundle", "verify", withExtra, "--verification-key", rsa.pub).code).toBe(1);
    expect(tollgate("bundle", "verify", withExtra, "--verification-key", rsa.pub, "--exclude", "notes/*.md").code).toBe(0);
    expect(opa("build", "-b", withExtra, "--verification-key", rsa.pub, "--exclude-files-verify", "notes/*.md", "-o", "o.tar.gz").code).toBe(0);
    // a listed file that is excluded is not checked (even if changed) …
    const changedExcluded = save("hand-excl.tar.gz", await mutate(signedHand.bytes, (es) => es.map((e) => (e.name === "p.rego" ? { name: e.name, bytes: new TextEncoder().encode("package evil\n") } : e))));
    expect(tollgate("bundle", "verify", changedExcluded, "--verification-key", rsa.pub, "--exclude", "*.rego").code).toBe(0);
    const badPattern = tollgate("bundle", "verify", changedExcluded, "--verification-key", rsa.pub, "--exclude", "[z-a]");
    expect([badPattern.code, badPattern.err.trim()]).toEqual([2, 'tollgate bundle verify: exclude pattern "[z-a]" is not a valid file pattern']);
    expect(opa("build", "-b", changedExcluded, "--verification-key", rsa.pub, "--exclude-files-verify", "*.rego", "-o", "o.tar.gz").code).toBe(0);
    // … but a listed file that is missing is still an error, excluded or not (as in opa)
    const missingExcluded = save("hand-excl-missing.tar.gz", await mutate(signedHand.bytes, (es) => es.filter((e) => e.name !== "p.rego")));
    const r = tollgate("bundle", "verify", missingExcluded, "--verification-key", rsa.pub, "--exclude", "*.rego");
    expect(r.code).toBe(1);
    expect(r.err).toContain("file p.rego is listed in the bundle signature but missing from the bundle");
    expect(opa("build", "-b", missingExcluded, "--verification-key", rsa.pub, "--exclude-files-verify", "*.rego", "-o", "o.tar.gz").code).not.toBe(0);
  });

  test("listed names are matched exactly: a leading '/' in the signature does not match (as in opa)", async () => {
    const files = await readArchive(unsigned, "x");
    const key = loadSigningKey(readFileSync(rsa.priv), "RS256");
    const { CompactSign } = await import("jose");
    const listed = files.map((e) => ({ name: "/" + e.name, hash: bundleFileDigest(e.name, e.bytes), algorithm: "SHA-256" }));
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify({ files: listed }))).setProtectedHeader({ alg: "RS256", kid: "default" }).sign(key);
    const bytes = await writeArchive([...files, { name: ".signatures.json", bytes: signaturesFileBytes(token) }]);
    const r = await verifyBundleSignature(await readArchive(bytes, "x"), keyring(rsa));
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toContain("bundle.file_listed");
    expect(opa("build", "-b", save("slash.tar.gz", bytes), "--verification-key", rsa.pub, "-o", "o.tar.gz").code).not.toBe(0);
  });
});

describe("rejections (tollgate, and opa where opa checks)", () => {
  async function expectRejected(bytes: Uint8Array, name: string, code: string, reason: RegExp, opaToo = true) {
    const res = await verifyBundleSignature(await readArchive(bytes, "x"), keyring(rsa));
    expect(res.ok).toBe(false);
    expect(res.status).toBe("failed");
    expect(res.code as string).toBe(code);
    expect(res.reason).toMatch(reason);
    const path = save(name, bytes);
    const cli = tollgate("bundle", "verify", path, "--verification-key", rsa.pub);
    expect(cli.code).toBe(1);
    expect(cli.err).toMatch(reason);
    if (opaToo) expect(opa("build", "-b", path, "--verification-key", rsa.pub, "-o", "o.tar.gz").code).not.toBe(0);
  }

  for (const file of ["data.json", "policy.wasm", ".manifest", "gate.rego"]) {
    test(`a changed byte in ${file}`, async () => {
      const good = await signed(rsa);
      const bad = await mutate(good, (es) =>
        es.map((e) => {
          if (e.name !== file) return e;
          const b = new Uint8Array(e.bytes);
          if (file === "data.json") return { name: e.name, bytes: new TextEncoder().encode(new TextDecoder().decode(b).replace("alice", "mallory")) };
          if (file === ".manifest") return { name: e.name, bytes: new TextEncoder().encode(new TextDecoder().decode(b).replace("rev-1", "rev-2")) };
          b[b.length - 3] = b[b.length - 3]! ^ 0x01;
          return { name: e.name, bytes: b };
        }),
      );
      await expectRejected(bad, `bad-${file}.tar.gz`, "digest_mismatch", new RegExp(`file ${file.replace(".", "\\.")}: SHA-256 digest mismatch \\(signed [0-9a-f]{64}, actual [0-9a-f]{64}\\)`));
    });
  }

  test("several failures: the first is the message, the rest are counted (CLI line and the gate's reason)", async () => {
    const good = await signed(rsa);
    const bad = await mutate(good, (es) => [...es.map((e) => (e.name === "gate.rego" ? { name: e.name, bytes: new TextEncoder().encode("package other\n") } : e)), { name: "extra.rego", bytes: new TextEncoder().encode("package x\n") }, { name: "more.rego", bytes: new TextEncoder().encode("package y\n") }]);
    const r = await verifyBundleSignature(await readArchive(bad, "x"), keyring(rsa));
    expect(r.checks.filter((c) => !c.ok).map((c) => c.code)).toEqual(["digest_mismatch", "bundle_unverified", "bundle_unverified"]);
    expect(rejectionReason(r)).toMatch(/^file gate\.rego: SHA-256 digest mismatch \(signed [0-9a-f]{64}, actual [0-9a-f]{64}\) \(and 2 more problems\)$/);
    expect(describeRejection("b.tar.gz", r)).toMatch(/^b\.tar\.gz: bundle rejected: file gate\.rego: SHA-256 digest mismatch \(signed [0-9a-f]{64}, actual [0-9a-f]{64}\) \[digest_mismatch\] \(and 2 more problems\)$/);
  });

  test("whitespace-only change in data.json still verifies (canonical form, as OPA)", async () => {
    const good = await signed(rsa);
    const reformatted = await mutate(good, (es) => es.map((e) => (e.name === "data.json" ? { name: e.name, bytes: new TextEncoder().encode(new TextDecoder().decode(e.bytes).replace(/\n\s*/g, " ")) } : e)));
    const r = await verifyBundleSignature(await readArchive(reformatted, "x"), keyring(rsa));
    expect(r.ok).toBe(true);
    expect(opa("build", "-b", save("ws.tar.gz", reformatted), "--verification-key", rsa.pub, "-o", "o.tar.gz").code).toBe(0);
  });

  test("a missing file", async () => {
    const bad = await mutate(await signed(rsa), (es) => es.filter((e) => e.name !== "gate.rego"));
    await expectRejected(bad, "missing.tar.gz", "bundle_unverified", /file gate\.rego is listed in the bundle signature but missing from the bundle/);
  });

  test("an extra file", async () => {
    const bad = await mutate(await signed(rsa), (es) => [...es, { name: "extra/evil.rego", bytes: new TextEncoder().encode("package evil\n") }]);
    await expectRejected(bad, "extra.tar.gz", "bundle_unverified", /file extra\/evil\.rego is in the bundle but not listed in its signature/);
  });

  test("a wrong key", async () => {
    const other = makePair("other", "RS256", "rsa");
    const bad = await signed(other);
    await expectRejected(bad, "wrongkey.tar.gz", "signature_failed", /JWT signature check with key "default" failed: signature does not verify/);
  });

  test("an unsigned bundle", async () => {
    const r = await verifyBundleSignature(await readArchive(unsigned, "x"), keyring(rsa));
    expect(r.status).toBe("unsigned");
    expect(r.ok).toBe(false);
    expect(r.code).toBe("bundle_unverified");
    expect(r.reason).toBe("bundle is unsigned: it has no .signatures.json");
    expect(tollgate("bundle", "verify", "unsigned.tar.gz", "--verification-key", rsa.pub).code).toBe(1);
  });

  test("--allow-unsigned never admits an unsigned bundle when a --verification-key is given (eval, test); --help says so", async () => {
    writeFileSync(join(work, "cfg.json"), JSON.stringify({ user: "mallory" }));
    for (const cmd of [["eval", "--policy", "unsigned.tar.gz", "examples-none.json"], ["test", "-p", "unsigned.tar.gz", "cfg.json"]]) {
      const r = tollgate(...cmd, "--verification-key", rsa.pub, "--allow-unsigned");
      expect([cmd[0], r.code]).toEqual([cmd[0], 2]);
      expect(r.err.trim()).toEndWith(`: unsigned.tar.gz: bundle rejected: bundle is unsigned: it has no .signatures.json [bundle_unverified]`);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
    // without a key, --allow-unsigned is what it says: the bundle is evaluated
    expect(tollgate("test", "-p", "unsigned.tar.gz", "--allow-unsigned", "cfg.json").err).not.toContain("bundle rejected");
    const help = tollgate("eval", "--help").out.replace(/\s+/g, " ");
    expect(help).toContain("with a --verification-key an unsigned bundle is refused all the same");
  });

  test("malformed .signatures.json and several JWTs", async () => {
    const good = await signed(rsa);
    const token = JSON.parse(new TextDecoder().decode((await readArchive(good, "x")).find((e) => e.name === ".signatures.json")!.bytes)).signatures[0];
    const two = await mutate(good, (es) => es.map((e) => (e.name === ".signatures.json" ? { name: e.name, bytes: new TextEncoder().encode(JSON.stringify({ signatures: [token, token] })) } : e)));
    await expectRejected(two, "two.tar.gz", "malformed", /\.signatures\.json: 2 JWTs \(expected exactly one\)/);
    const junk = await mutate(good, (es) => es.map((e) => (e.name === ".signatures.json" ? { name: e.name, bytes: new TextEncoder().encode("{not json") } : e)));
    await expectRejected(junk, "junk.tar.gz", "malformed", /\.signatures\.json is not JSON/);
    const notJwt = await mutate(good, (es) => es.map((e) => (e.name === ".signatures.json" ? { name: e.name, bytes: signaturesFileBytes("abc.def") } : e)));
    await expectRejected(notJwt, "notjwt.tar.gz", "malformed", /the JWT in \.signatures\.json is unreadable/);
  });

  test("alg confusion: an HS256 token made with the RSA public key as secret is refused", async () => {
    const files = await readArchive(unsigned, "x");
    const forged = await signBundleFiles(files, { key: loadSigningKey(readFileSync(rsa.pub), "HS256"), algorithm: "HS256" });
    const bundle = [...files, { name: ".signatures.json", bytes: signaturesFileBytes(forged) }];
    const r = await verifyBundleSignature(bundle, { default: loadVerificationKey(readFileSync(rsa.pub)) });
    expect(r.ok).toBe(false);
    expect(r.code).toBe("signature_failed");
    expect(r.reason).toMatch(/JWT alg "HS256" is not allowed for key "default" \(rsa; allowed: RS256, RS384, RS512, PS256, PS384, PS512\)/);
  });

  test("a signature pinned to another algorithm is refused", async () => {
    const es = makePair("es-pin", "ES256", "p256");
    const bytes = await signed(rsa);
    const r = await verifyBundleSignature(await readArchive(bytes, "x"), { default: loadVerificationKey(readFileSync(rsa.pub), { algorithm: "PS256" }) });
    expect(r.reason).toMatch(/JWT alg "RS256" is not allowed for key "default" \(rsa; allowed: PS256\)/);
    expect(() => loadVerificationKey(readFileSync(es.pub), { algorithm: "ES384" })).toThrow(/cannot verify ES384/);
  });
});

describe("every malformed signature is rejected with its own code and reason", () => {
  const enc = (t: string) => new TextEncoder().encode(t);
  /** A JWS over arbitrary payload bytes, signed with the trusted RSA key (so only the content is wrong). */
  async function token(payload: Uint8Array | object, header: Record<string, unknown> = { alg: "RS256", kid: "default" }): Promise<string> {
    const bytes = payload instanceof Uint8Array ? payload : enc(JSON.stringify(payload));
    return new CompactSign(bytes).setProtectedHeader(header as { alg: string }).sign(loadSigningKey(readFileSync(rsa.priv), "RS256"));
  }
  async function files(): Promise<ArchiveEntry[]> {
    return readArchive(unsigned, "x");
  }
  async function listed(): Promise<{ name: string; hash: string; algorithm: string }[]> {
    return (await files()).map((e) => ({ name: e.name, hash: bundleFileDigest(e.name, e.bytes), algorithm: "SHA-256" }));
  }
  async function withSignatures(sigFile: string, extra: ArchiveEntry[] = []): Promise<ArchiveEntry[]> {
    return [...(await files()), { name: ".signatures.json", bytes: enc(sigFile) }, ...extra];
  }
  async function expectFailure(bundle: ArchiveEntry[], code: string, reason: string, name: string) {
    const r = await verifyBundleSignature(bundle, keyring(rsa));
    expect([r.ok, r.status, r.code, r.reason, r.checks.find((c) => !c.ok)?.name]).toEqual([false, "failed", code, reason, name]);
  }

  test(".signatures.json: several, another plugin, not strings, no JWT", async () => {
    const good = JSON.stringify({ signatures: [await token({ files: await listed() })] });
    await expectFailure(await withSignatures(good, [{ name: "sub/.signatures.json", bytes: enc(good) }]), "malformed", "bundle holds several signatures files: .signatures.json, sub/.signatures.json", "bundle.signatures_file");
    await expectFailure(await withSignatures(JSON.stringify({ signatures: [], plugin: "custom" })), "malformed", '.signatures.json names signing plugin "custom"; only OPA\'s default JWT signer is supported', "bundle.signatures_file");
    await expectFailure(await withSignatures('{"signatures":[1]}'), "malformed", '.signatures.json: "signatures" is not an array of strings', "bundle.signatures_file");
    await expectFailure(await withSignatures('{"signatures":[]}'), "malformed", ".signatures.json: missing JWT (expected exactly one)", "bundle.signatures_file");
  });

  test("the JWT: no key id anywhere, a payload that is not an object, a signed payload that is not UTF-8", async () => {
    const noKid = await token({ files: await listed() }, { alg: "RS256" });
    await expectFailure(await withSignatures(JSON.stringify({ signatures: [noKid] })), "no_trusted_key", "the bundle signature names no key id (no kid header, no keyid claim) and none was configured", "bundle.key");
    // the deprecated keyid claim still names the key when the header has none (as in OPA)
    const claimKid = await token({ files: await listed(), keyid: "default" }, { alg: "RS256" });
    expect((await verifyBundleSignature(await withSignatures(JSON.stringify({ signatures: [claimKid] })), keyring(rsa))).ok).toBe(true);
    await expectFailure(await withSignatures(JSON.stringify({ signatures: [await token([1])] })), "malformed", "the JWT in .signatures.json is unreadable: payload is not a JSON object", "bundle.jwt");
    const notUtf8 = await token(new Uint8Array([...enc('{"files":[],"x":"'), 0xff, ...enc('"}')]));
    const r = await verifyBundleSignature(await withSignatures(JSON.stringify({ signatures: [notUtf8] })), keyring(rsa));
    expect([r.code, r.checks.at(-1)!.name]).toEqual(["malformed", "bundle.payload"]);
    expect(r.reason).toStartWith("the signed JWT payload is unreadable: ");
  });

  test("the files claim: each malformed entry named", async () => {
    const cases: [unknown, string][] = [
      [{ x: 1 }, 'JWT payload has no "files" array'],
      [{ files: [1] }, "JWT payload files[0] is not an object"],
      [{ files: [{ name: "", hash: "00", algorithm: "SHA-256" }] }, "JWT payload files[0].name is not a non-empty string"],
      [{ files: [{ name: "data.json", hash: "xyz", algorithm: "SHA-256" }] }, "JWT payload files[0] (data.json): hash is not hex"],
      [{ files: [{ name: "data.json", hash: "00" }] }, "JWT payload files[0] (data.json): no hashing algorithm"],
    ];
    for (const [payload, reason] of cases) {
      await expectFailure(await withSignatures(JSON.stringify({ signatures: [await token(payload as object)] })), "malformed", reason, "bundle.payload");
    }
    const all = await listed();
    await expectFailure(await withSignatures(JSON.stringify({ signatures: [await token({ files: [...all, all[0]] })] })), "malformed", `the signature lists ${all[0]!.name} twice`, "bundle.payload");
  });

  test("per file: an unknown or weak hash algorithm, a structured file that cannot be parsed", async () => {
    const all = await listed();
    const as = (alg: string) => all.map((f) => (f.name === "gate.rego" ? { ...f, algorithm: alg } : f));
    await expectFailure(await withSignatures(JSON.stringify({ signatures: [await token({ files: as("SHA3-256") })] })), "unsupported", 'file gate.rego is signed with unknown hash algorithm "SHA3-256"', "bundle.file_hash");
    await expectFailure(await withSignatures(JSON.stringify({ signatures: [await token({ files: as("MD5") })] })), "unsupported", 'file gate.rego is signed with too weak hash algorithm "MD5"', "bundle.file_hash");
    const broken = (await files()).map((e) => (e.name === "data.json" ? { name: e.name, bytes: enc("{not json") } : e));
    const r = await verifyBundleSignature([...broken, { name: ".signatures.json", bytes: enc(JSON.stringify({ signatures: [await token({ files: all })] })) }], keyring(rsa));
    expect([r.code, r.checks.find((c) => !c.ok)!.name]).toEqual(["malformed", "bundle.file_hash"]);
    expect(r.reason).toStartWith("file data.json cannot be hashed: ");
  });
});

describe("key rotation: several keys by key id", () => {
  test("kid in the JWT header picks the key; an unknown kid is no_trusted_key", async () => {
    const old = makePair("old", "RS256", "rsa");
    const next = makePair("next", "ES256", "p256");
    const ring: BundleKeyring = {
      "2025-q4": loadVerificationKey(readFileSync(old.pub), { algorithm: "RS256" }),
      "2026-q1": loadVerificationKey(readFileSync(next.pub), { algorithm: "ES256" }),
    };
    const a = await signed(old, { keyId: "2025-q4" });
    const b = await signed(next, { keyId: "2026-q1" });
    const ra = await verifyBundleSignature(await readArchive(a, "x"), ring);
    const rb = await verifyBundleSignature(await readArchive(b, "x"), ring);
    expect([ra.ok, ra.keyId, rb.ok, rb.keyId]).toEqual([true, "2025-q4", true, "2026-q1"]);
    // swapping kids: the ES256 bundle claims the RSA key id → alg not allowed for that key
    const lying = await signed(next, { keyId: "2025-q4" });
    const rl = await verifyBundleSignature(await readArchive(lying, "x"), ring);
    expect(rl.code).toBe("signature_failed");
    const c = await signed(old, { keyId: "2024-retired" });
    const rc = await verifyBundleSignature(await readArchive(c, "x"), ring);
    expect(rc.code).toBe("no_trusted_key");
    expect(rc.reason).toBe('bundle is signed with key id "2024-retired", which is not a trusted key (trusted: "2025-q4", "2026-q1")');
    // the CLI keyring file does the same
    writeFileSync(join(work, "keys.yaml"), `"2025-q4": {key_file: old.pub, algorithm: RS256}\n"2026-q1": {key_file: next.pub, algorithm: ES256}\n`);
    expect(tollgate("bundle", "verify", save("b.tar.gz", b), "--keys", "keys.yaml").code).toBe(0);
    const cli = tollgate("bundle", "verify", save("c.tar.gz", c), "--keys", "keys.yaml");
    expect(cli.code).toBe(1);
    expect(cli.err).toContain("[no_trusted_key]");
  });
});

describe("bundle verify / inspect CLI", () => {
  test("exit 2 for an unreadable or truncated bundle, naming the file", async () => {
    const bytes = await signed(rsa);
    save("trunc.tar.gz", bytes.subarray(0, bytes.length - 40));
    const t = tollgate("bundle", "verify", "trunc.tar.gz", "--verification-key", rsa.pub);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/trunc\.tar\.gz: gzip stream is corrupt or truncated/);
    const m = tollgate("bundle", "verify", "nope.tar.gz", "--verification-key", rsa.pub);
    expect(m.code).toBe(2);
    expect(m.err).toContain("nope.tar.gz: bundle not found");
    save("text.tar.gz", new TextEncoder().encode("hello"));
    expect(tollgate("bundle", "verify", "text.tar.gz", "--verification-key", rsa.pub).err).toContain("no gzip magic bytes");
  });

  test("bad keys, directories and outputs: exit 2 and one line naming the file once", async () => {
    const lines = (r: { err: string }) => r.err.trim().split("\n");
    const cases: [string[], string][] = [
      [["bundle", "verify", "unsigned.tar.gz", "--verification-key", "policy/data.json"], "tollgate bundle verify: policy/data.json: unreadable verification key: no PEM PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE block"],
      [["bundle", "sign", "unsigned.tar.gz", "--signing-key", rsa.pub, "-o", "x.tar.gz"], `tollgate bundle sign: ${rsa.pub}: not a PEM private key (want RSA PRIVATE KEY, PRIVATE KEY or EC PRIVATE KEY)`],
      [["bundle", "sign", "unsigned.tar.gz", "--signing-key", rsa.priv, "--signing-alg", "ES256", "-o", "x.tar.gz"], `tollgate bundle sign: ${rsa.priv}: a rsa key cannot sign ES256 (it can sign RS256, RS384, RS512, PS256, PS384, PS512)`],
      [["bundle", "sign", "unsigned.tar.gz", "--signing-key", rsa.priv, "-o", "no/such/dir/x.tar.gz"], "tollgate bundle sign: no/such/dir/x.tar.gz: cannot write output: its directory does not exist"],
      [["bundle", "sign", "unsigned.tar.gz", "--signing-key", rsa.priv, "-o", "policy"], "tollgate bundle sign: policy: cannot write output: it is a directory"],
      [["bundle", "build", "no-such-dir", "-o", "x.tar.gz", "-e", "gate/allow"], "tollgate bundle build: no-such-dir: not a directory"],
    ];
    // a --keys file is not schema-checked: a malformed entry is named with the file, never a TypeError
    cases.push([["bundle", "inspect", "unsigned.tar.gz", "--format", "yaml"], "tollgate bundle inspect: --format must be one of text, json (got yaml)"]);
    writeFileSync(join(work, "k-null.yaml"), "a: null\n");
    writeFileSync(join(work, "k-num.yaml"), "a: {key_file: 5}\n");
    cases.push(
      [["bundle", "verify", "unsigned.tar.gz", "--keys", "k-null.yaml"], "tollgate bundle verify: k-null.yaml: keys.a: want an object {key | key_file, algorithm?, scope?}"],
      [["bundle", "verify", "unsigned.tar.gz", "--keys", "k-num.yaml"], "tollgate bundle verify: k-num.yaml: keys.a: key_file must be a string"],
    );
    for (const [args, line] of cases) {
      const r = tollgate(...args);
      expect([r.code, lines(r)]).toEqual([2, [line]]);
    }
    // a member that cannot be hashed: the bundle named once, the member in the message
    save("bad-member.tar.gz", await writeArchive([{ name: ".manifest", bytes: new TextEncoder().encode("{}") }, { name: "data.json", bytes: new TextEncoder().encode("{nope") }]));
    const bm = tollgate("bundle", "sign", "bad-member.tar.gz", "--signing-key", rsa.priv, "-o", "x.tar.gz");
    expect([bm.code, lines(bm).length]).toEqual([2, 1]);
    expect(lines(bm)[0]).toStartWith("tollgate bundle sign: bad-member.tar.gz: data.json is neither valid JSON (");
    writeFileSync(join(work, "empty.secret"), "");
    const hs = tollgate("bundle", "sign", "unsigned.tar.gz", "--signing-key", "empty.secret", "--signing-alg", "HS256", "-o", "x.tar.gz");
    expect([hs.code, lines(hs)]).toEqual([2, ["tollgate bundle sign: empty.secret: the HMAC secret is empty"]]);
  });

  test("inspect lists manifest, entrypoints, files with hashes and an unverified signature summary", async () => {
    save("insp.tar.gz", await signed(rsa, { keyId: "k1", scope: "s1" }));
    const r = tollgate("bundle", "inspect", "insp.tar.gz", "--format", "json");
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.revision).toBe("rev-1");
    expect(rep.entrypoints).toEqual([{ entrypoint: "gate/allow", module: "/policy.wasm" }]);
    expect(rep.signature).toMatchObject({ keyId: "k1", algorithm: "RS256", scope: "s1", listed: 4 });
    const wasm = rep.files.find((f: { name: string }) => f.name === "policy.wasm");
    expect(wasm).toMatchObject({ listed: true, matches: true });
    const text = tollgate("bundle", "inspect", "insp.tar.gz");
    expect(text.out).toContain("gate/allow");
    expect(text.out).toContain("unverified");
    // unverified content is read defensively: a manifest that is not an object is named, a null wasm entry shown empty
    const enc = (t: string) => new TextEncoder().encode(t);
    save("m-null.tar.gz", await writeArchive([{ name: ".manifest", bytes: enc("null") }]));
    const m = tollgate("bundle", "inspect", "m-null.tar.gz");
    expect([m.code, m.err.trim()]).toEqual([2, "tollgate bundle inspect: m-null.tar.gz: .manifest is not a JSON object"]);
    save("m-wasm.tar.gz", await writeArchive([{ name: ".manifest", bytes: enc('{"wasm":[null]}') }]));
    const w = tollgate("bundle", "inspect", "m-wasm.tar.gz", "--format", "json");
    expect([w.code, w.err, JSON.parse(w.out).entrypoints]).toEqual([0, "", [{ entrypoint: "", module: "" }]]);
    // an unreadable signature is shown as such (the reasons verify gives), never a crash
    const note = async (sig: string) => {
      save("s-bad.tar.gz", await writeArchive([{ name: ".manifest", bytes: enc("{}") }, { name: ".signatures.json", bytes: enc(sig) }]));
      const r = tollgate("bundle", "inspect", "s-bad.tar.gz", "--format", "json");
      expect([r.code, r.err]).toEqual([0, ""]);
      return JSON.parse(r.out).signature;
    };
    expect(await note("nope")).toEqual({ claims: {}, listed: 0, note: expect.stringMatching(/^\.signatures\.json is not JSON: /) });
    expect(await note('{"signatures":["abc.def"]}')).toEqual({ claims: {}, listed: 0, note: "unreadable JWT in .signatures.json: a compact JWS has 3 dot-separated parts, this one has 2" });
  });
});
