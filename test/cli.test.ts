// The CLI as users and CI run it: real subprocesses, real keys made here, exit codes 0/1/2.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sarifValidator } from "../src/evidence/dast/sarif.ts";
import { tollgate } from "./support/cli.ts";
import { dsse, newKey, provenanceStatement, sha256, writeKey, type TestKey } from "./support/sign.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-cli-"));
const T = ["--time", "2026-06-01T00:00:00Z"];
let key: TestKey;
let keyFile: string;
let otherKeyFile: string;
let artifact: string;
let digest: string;
let good: string;

function write(name: string, content: unknown): string {
  const p = join(dir, name);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return p;
}

beforeAll(() => {
  key = newKey("p256");
  keyFile = writeKey(join(dir, "release.pub"), key);
  otherKeyFile = writeKey(join(dir, "other.pub"), newKey("p256"));
  artifact = write("app.tar.gz", "the release bytes\n");
  digest = sha256("the release bytes\n");
  good = write("good/provenance.json", dsse(provenanceStatement(digest), key));
});

const rules = (out: string) => [...new Set([...out.matchAll(/^(?:DENY|WARN)\s+(\S+):/gm)].map((m) => m[1]))].sort();

describe("tollgate eval", () => {
  test("admits signed v1 provenance bound to the artifact (exit 0)", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, good]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ADMIT: 0 denied");
    expect(r.stdout).toContain(`WARN  I1.builder-id`);
  });

  test("a --subject digest works like --artifact", () => {
    expect(tollgate(["eval", ...T, "--key", keyFile, "--subject", `sha256:${digest}`, good]).code).toBe(0);
  });

  test("wrong key: deny naming the signature problem (exit 1)", () => {
    const r = tollgate(["eval", ...T, "--key", otherKeyFile, "--artifact", artifact, good]);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toEqual(["I1.provenance-required", "I1.provenance-signature"]);
    expect(r.stdout).toMatch(/I1\.provenance-signature: provenance signature did not verify: .+  \[.*provenance\.json\]/);
  });

  test("tampered payload: deny (exit 1)", () => {
    const env = dsse(provenanceStatement(digest), key);
    const stmt = JSON.parse(Buffer.from(env.payload, "base64").toString());
    stmt.predicate.runDetails.builder.id = "https://evil.example/builder";
    env.payload = Buffer.from(JSON.stringify(stmt)).toString("base64");
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, write("tampered/p.json", env)]);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toContain("I1.provenance-signature");
  });

  test("wrong subject: deny listing both digests (exit 1)", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--subject", "sha256:" + "0".repeat(64), good]);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toEqual(["I1.provenance-required", "I1.subject-digest"]);
    expect(r.stdout).toContain(`sha256:${digest}`);
  });

  test("v0.2 predicate: deny by name (exit 1)", () => {
    const p = write("v02/p.json", dsse(provenanceStatement(digest, { predicateType: "https://slsa.dev/provenance/v0.2", predicate: { builder: { id: "b" }, buildType: "t" } }), key));
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, p]);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toEqual(["I1.provenance-predicate", "I1.provenance-required"]);
  });

  test("malformed evidence: recorded as an input error, gate fails closed (exit 1)", () => {
    const bad = write("bad/broken.json", "{\"payloadType\": ");
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, good, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`DENY  input.error: ${bad}: not valid JSON (malformed)`);
  });

  test("an empty or non-UTF-8 .json file is named as such", () => {
    const empty = write("bad2/empty.json", "");
    const binary = join(dir, "bad2/bin.json");
    writeFileSync(binary, new Uint8Array([0xff, 0xfe, 0x00, 0x41]));
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, good, empty, binary]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`DENY  input.error: ${empty}: empty file (malformed)`);
    expect(r.stdout).toContain(`DENY  input.error: ${binary}: not UTF-8 text (malformed)`);
  });

  test("a named file that is no evidence kind: deny with unknown_kind", () => {
    const odd = write("odd/notes.json", { hello: "world" });
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, good, odd]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("(unknown_kind)");
  });

  test("no subject: deny saying how to name one", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, good]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("gate.subject: no subject digest given");
  });

  test("missing PATH: exit 2, one line naming it, no stack trace", () => {
    const r = tollgate(["eval", ...T, join(dir, "nope.json")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([`tollgate eval: ${join(dir, "nope.json")}: no such file or directory`]);
  });

  const usageCases: [string, string[], RegExp][] = [
    ["unknown flag", ["--bogus", "x"], /Unknown option '--bogus'/],
    ["bad --time", ["--time", "yesterday", "x"], /--time must be an RFC 3339 time/],
    ["bad --subject", ["--subject", "sha256:xyz", "x"], /not a sha256 digest/],
    ["bad --output", ["--output", "yaml", "x"], /--output must be one of/],
    ["unpaired identity", ["--certificate-identity", "a", "x"], /go in pairs/],
    ["no PATH", [], /give at least one evidence PATH/],
  ];
  for (const [name, args, msg] of usageCases) {
    test(`usage error exits 2: ${name}`, () => {
      const r = tollgate(["eval", ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split("\n").length).toBe(1);
    });
  }

  test("unreadable policy bundle: exit 2 naming it", () => {
    const r = tollgate(["eval", ...T, "--policy", join(dir, "missing.tar.gz"), good]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing.tar.gz: policy bundle not found");
  });

  test("a policy that is not a bundle: exit 2", () => {
    const r = tollgate(["eval", ...T, "--policy", good, "--subject", `sha256:${digest}`, good]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not an OPA bundle");
  });

  test("json output: decision, input digest, bundle revision; byte-identical for the same --time", () => {
    const args = ["eval", ...T, "--key", keyFile, "--artifact", artifact, "-o", "json", good];
    const a = tollgate(args);
    const b = tollgate(args);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const j = JSON.parse(a.stdout);
    expect(j.allow).toBe(true);
    expect(j.input_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(j.bundle.revision).toMatch(/^policies-[0-9a-f]{16}$/);
    expect(j.bundle.source).toBe("embedded:default");
  });

  test("--fail-on-warn turns warnings into exit 1", () => {
    expect(tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, "--fail-on-warn", good]).code).toBe(1);
  });

  test("--data overlays configure the gate (pinned builders)", () => {
    const data = write("pin.yaml", "trusted_builders:\n  - https://other.example/builder\n");
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, "--data", data, good]);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toContain("I1.builder-id");
  });

  test("evidence from stdin", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--artifact", artifact, "-"], { stdin: readFileSync(good) });
    expect(r.code).toBe(0);
  });

  test("every output format renders; SARIF validates against the OASIS 2.1.0 schema", () => {
    for (const fmt of ["text", "json", "junit", "sarif", "github", "tap", "markdown"]) {
      const r = tollgate(["eval", ...T, "--key", otherKeyFile, "--artifact", artifact, "-o", fmt, good]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("I1.provenance-signature");
    }
    const sarif = JSON.parse(tollgate(["eval", ...T, "--key", otherKeyFile, "--artifact", artifact, "-o", "sarif", good]).stdout);
    const validate = sarifValidator(); // the OASIS SARIF 2.1.0 schema with Errata 01
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    const junit = tollgate(["eval", ...T, "--key", otherKeyFile, "--artifact", artifact, "-o", "junit", good]).stdout;
    expect(junit).toMatch(/<testcase classname="tollgate\.I1\.provenance-signature"/);
    expect(junit).toMatch(/<failure message="provenance signature did not verify/);
    const gh = tollgate(["eval", ...T, "--key", otherKeyFile, "--artifact", artifact, "-o", "github", good]).stdout;
    expect(gh).toMatch(/^::error file=.*provenance\.json,title=I1\.provenance-signature::/m);
   }, 60_000); // nine CLI processes: slow on a loaded 2-core machine
});

describe("tollgate verify and inspect", () => {
  test("verify lists every check; exit 0 when all verified", () => {
    const r = tollgate(["verify", ...T, "--key", keyFile, good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok    signature.dsse");
    expect(r.stdout).toContain(`signer: key ${key.fingerprint}`);
    expect(r.stdout).toMatch(/^VERIFIED: 1 evidence, \d+ checks passed, 0 failed, 0 error\(s\)$/m);
  });

  test("verify exits 1 with the failed check and its code", () => {
    const r = tollgate(["verify", ...T, "--key", otherKeyFile, good]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL  signature\.dsse: .+ \[(signature_failed|no_trusted_key)\]/);
  });

  test("verify json", () => {
    const j = JSON.parse(tollgate(["verify", ...T, "--key", keyFile, "-o", "json", good]).stdout);
    expect(j.verified).toBe(true);
    expect(j.evidence[0].kind).toBe("slsa-provenance");
  });

  test("inspect prints the input document, valid against input v1", () => {
    const r = tollgate(["inspect", ...T, "--key", keyFile, "--artifact", artifact, good]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.apiVersion).toBe("tollgate/input/v1");
    expect(doc.context.time).toBe("2026-06-01T00:00:00.000Z");
    expect(doc.context.subject.digest.sha256).toBe(digest);
    expect(doc.evidence[0].statement.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(doc.evidence[0].source.digest.sha256).toBe(sha256(readFileSync(good)));
  });
});

describe("a folder with nothing tollgate recognizes", () => {
  let none: string;
  let emptyDir: string;
  beforeAll(() => {
    none = join(dir, "nothing");
    write("nothing/notes.json", { hello: "world" });
    write("nothing/readme.txt", "just text\n");
    emptyDir = join(dir, "empty");
    mkdirSync(emptyDir, { recursive: true });
  });

  test("verify exits 2 with one line saying nothing was verified, and writes nothing to stdout", () => {
    for (const args of [[none], ["-o", "json", none]]) {
      const r = tollgate(["verify", ...T, ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`tollgate verify: nothing verified: no evidence tollgate recognizes in ${none} (2 file(s) skipped)\n`);
    }
    const e = tollgate(["verify", ...T, emptyDir]);
    expect([e.code, e.stderr]).toEqual([2, `tollgate verify: nothing verified: no evidence tollgate recognizes in ${emptyDir} (0 file(s) skipped)\n`]);
  });

  test("verify still verifies real evidence beside unrecognized files (exit 0)", () => {
    write("mixed/notes.json", { hello: "world" });
    writeFileSync(join(dir, "mixed", "provenance.json"), readFileSync(good));
    const r = tollgate(["verify", ...T, "--key", keyFile, join(dir, "mixed")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SKIP  ${join(dir, "mixed", "notes.json")}: not evidence tollgate recognizes`);
    expect(r.stdout).toMatch(/^VERIFIED: 1 evidence/m);
  });

  test("eval denies by default (exit 1), naming the skipped files", () => {
    const r = tollgate(["eval", ...T, "--artifact", artifact, none]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`SKIP  ${join(none, "notes.json")}: not evidence tollgate recognizes`);
    expect(r.stdout).toMatch(/^DENY: .*0 evidence, 0 error\(s\)/m);
  });

  test("inspect prints the (empty) input document and names the skipped files on stderr", () => {
    const r = tollgate(["inspect", ...T, none]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).evidence).toEqual([]);
    expect(r.stderr).toBe(`SKIP  ${join(none, "notes.json")}: not evidence tollgate recognizes\nSKIP  ${join(none, "readme.txt")}: not evidence tollgate recognizes\n`);
  });
});

describe("command routing", () => {
  const cases: [string[], RegExp][] = [
    [[], /^tollgate: No command specified\. \(see tollgate --help\)$/],
    [["bogus"], /^tollgate: Unknown command bogus \(see tollgate --help\)$/],
    [["ledger"], /^tollgate: No command specified\. \(see tollgate ledger --help\)$/],
    [["bundle", "nope"], /^tollgate: Unknown command nope \(see tollgate bundle --help\)$/],
  ];
  for (const [args, msg] of cases) {
    test(`a missing or unknown command is a usage error (exit 2): tollgate ${args.join(" ")}`, () => {
      const r = tollgate(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(msg);
    });
  }

  test("--help and --version exit 0", () => {
    expect(tollgate(["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(tollgate(["eval", "--help"]).code).toBe(0);
  });
});
