// A small signed WASM bundle for the gate-service tests (TLS, auth, admission, scale-out): built by the real
// `tollgate bundle build` (opa underneath), signed ES256 with a key made at test time.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadSigningKey, signBundleArchive } from "../../src/policy/signing.ts";
import { resolveServeConfig, type ServeConfig } from "../../src/serve/config.ts";
import { BUN, CLI } from "./cli.ts";

export const GATE_REGO = `package tollgate.gate

default allow := false

allow if count(input.evidence) > 0

decision := {"allow": allow, "deny": set(), "warn": {{"rule": "rev", "msg": data.rev}}}
`;

export const DEMO_REGO = `package demo

rev := data.rev

default allow := false

allow if input.user == data.allowed_user
`;

/** Denies unpinned images and privileged containers (input: the AdmissionReview). */
export const ADMISSION_REGO = `package tollgate.admission

deny contains {"rule": "k8s.digest-pinned", "msg": sprintf("container %s image %s is not pinned by digest", [c.name, c.image])} if {
	some c in input.request.object.spec.containers
	not contains(c.image, "@sha256:")
}

deny contains {"rule": "k8s.privileged", "msg": sprintf("container %s is privileged", [c.name])} if {
	some c in input.request.object.spec.containers
	c.securityContext.privileged == true
}

decision := {"allow": count(deny) == 0, "deny": deny, "warn": set()}
`;

export interface SigningKeys {
  /** PKCS#8 PEM private key. */
  priv: string;
  /** SPKI PEM public key, also written to `pubFile`. */
  pub: string;
  pubFile: string;
}

export function makeSigningKeys(dir: string, name = "bundle"): SigningKeys {
  const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pub = k.publicKey.export({ type: "spki", format: "pem" }).toString();
  const pubFile = join(dir, `${name}.pub.pem`);
  writeFileSync(pubFile, pub);
  return { priv: k.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), pub, pubFile };
}

/** Build and sign a bundle with revision `rev`; data `{rev, allowed_user}`. Returns the .tar.gz bytes. */
export async function buildSignedBundle(work: string, rev: string, signer: string, o: { user?: string; keyId?: string; admission?: boolean } = {}): Promise<Uint8Array> {
  const dir = mkdtempSync(join(work, `src-${rev}-`));
  mkdirSync(join(dir, "tollgate/gate"), { recursive: true });
  writeFileSync(join(dir, "tollgate/gate/gate.rego"), GATE_REGO);
  writeFileSync(join(dir, "demo.rego"), DEMO_REGO);
  const entrypoints = ["tollgate/gate/decision", "demo/rev", "demo/allow"];
  if (o.admission) {
    mkdirSync(join(dir, "tollgate/admission"), { recursive: true });
    writeFileSync(join(dir, "tollgate/admission/admission.rego"), ADMISSION_REGO);
    entrypoints.push("tollgate/admission/decision");
  }
  writeFileSync(join(dir, "data.json"), JSON.stringify({ rev, allowed_user: o.user ?? "alice" }));
  const out = join(dirname(dir), `${rev}-${Date.now()}.tar.gz`);
  const r = Bun.spawnSync([BUN, CLI, "bundle", "build", dir, "-o", out, "--revision", rev, ...entrypoints.flatMap((e) => ["-e", e])], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  const { bytes } = await signBundleArchive(new Uint8Array(readFileSync(out)), out, { key: loadSigningKey(signer, "ES256"), algorithm: "ES256", keyId: o.keyId ?? "k" });
  return bytes;
}

/** Bounded wait: `f` (sync or async; a throw counts as not yet) until it returns something other than undefined. */
export async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve().then(f).catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** A gate configuration on an ephemeral 127.0.0.1 port serving `bundleFile` (verified with `pubFile`, ES256), `extra` on top. */
export function gateConfig(work: string, bundleFile: string, pubFile: string, instanceId: string, extra: Record<string, unknown> = {}): ServeConfig {
  return resolveServeConfig(
    {
      addr: "127.0.0.1:0",
      max_body_bytes: 4096,
      service: { instance_id: instanceId },
      bundle: { file: bundleFile },
      keys: { k: { key_file: pubFile, algorithm: "ES256" } },
      ...extra,
    },
    work,
    "0.0.0-test",
  );
}
