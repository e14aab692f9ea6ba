// PEP 740 shapes, parsed purely (as trailofbits/pypi-attestations models them):
//   Attestation = { version: 1, verification_material: { certificate: base64(DER), transparency_entries: [+ Rekor
//                   TransparencyLogEntry (protobuf JSON)] }, envelope: { statement: base64(in-toto Statement v1),
//                   signature: base64 } }
//   Provenance  = { version: 1, attestation_bundles: [+ { publisher: { kind, … }, attestations: [Attestation] }] }
// and the distribution filename rules the subject name is compared under ("ultranormalized").
import { decodeBase64Strict } from "../../core/digest.ts";
import { TollgateError } from "../../core/errors.ts";
import type { SourceFile } from "../types.ts";

export interface Pep740Attestation {
  /** base64 as written: handed on unchanged to the Sigstore bundle the attestation converts to. */
  certificate: string;
  transparencyEntries: Record<string, unknown>[];
  statement: string;
  signature: string;
  statementBytes: Uint8Array;
}

/** A Trusted Publisher as PyPI records it; `kind` picks which other keys are meaningful. */
export type Publisher = { kind: string; [k: string]: unknown };

export interface PypiItem {
  attestation: Pep740Attestation;
  /** Present for attestations taken from a provenance object's bundle. */
  publisher?: Publisher;
  /** `bundles[i].attestations[j]` for provenance objects, `attestation` for a bare one: for messages. */
  where: string;
}

export interface ParsedPypi {
  format: "pep740-attestation" | "pypi-provenance";
  items: PypiItem[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** By keys alone: a PEP 740 Attestation or a PyPI provenance object. */
export function detectPypi(file: SourceFile): boolean {
  const v = file.json();
  if (!isObject(v) || !("version" in v)) return false;
  return (isObject(v.verification_material) && isObject(v.envelope)) || Array.isArray(v.attestation_bundles);
}

export function parsePypi(file: SourceFile): ParsedPypi {
  const v = file.json();
  if (!isObject(v)) throw new TollgateError("malformed", "PEP 740: not a JSON object");
  if (Array.isArray(v.attestation_bundles)) {
    version(v, "provenance");
    if (v.attestation_bundles.length === 0) bad("provenance: attestation_bundles is empty");
    const items: PypiItem[] = [];
    v.attestation_bundles.forEach((b, i) => {
      const at = `attestation_bundles[${i}]`;
      if (!isObject(b)) bad(`${at} is not an object`);
      const p = b.publisher;
      if (!isObject(p) || typeof p.kind !== "string" || p.kind === "") bad(`${at}.publisher must be an object with a non-empty kind`);
      if (!Array.isArray(b.attestations) || b.attestations.length === 0) bad(`${at}.attestations must be a non-empty array`);
      b.attestations.forEach((a, j) => {
        const where = `${at}.attestations[${j}]`;
        items.push({ attestation: attestation(a, where), publisher: p as Publisher, where });
      });
    });
    return { format: "pypi-provenance", items };
  }
  return { format: "pep740-attestation", items: [{ attestation: attestation(v, "attestation"), where: "attestation" }] };
}

function bad(msg: string): never {
  throw new TollgateError("schema_invalid", `PEP 740: ${msg}`);
}

function version(o: Record<string, unknown>, what: string): void {
  if (o.version !== 1) bad(`${what} version is ${JSON.stringify(o.version)}, not 1`);
}

function b64(v: unknown, where: string): Uint8Array {
  if (typeof v !== "string" || v === "") bad(`${where} must be a non-empty base64 string`);
  try {
    return decodeBase64Strict(v as string, where);
  } catch (e) {
    return bad(`${where} is not base64: ${(e as Error).message}`);
  }
}

function attestation(a: unknown, where: string): Pep740Attestation {
  if (!isObject(a)) bad(`${where} is not an object`);
  version(a, where);
  const vm = a.verification_material;
  if (!isObject(vm)) bad(`${where}.verification_material is not an object`);
  b64(vm.certificate, `${where}.verification_material.certificate`);
  const entries = vm.transparency_entries;
  if (!Array.isArray(entries) || entries.length === 0) bad(`${where}.verification_material.transparency_entries must be a non-empty array`);
  entries.forEach((e, i) => {
    if (!isObject(e)) bad(`${where}.verification_material.transparency_entries[${i}] is not an object`);
  });
  const env = a.envelope;
  if (!isObject(env)) bad(`${where}.envelope is not an object`);
  const statementBytes = b64(env.statement, `${where}.envelope.statement`);
  b64(env.signature, `${where}.envelope.signature`);
  return {
    certificate: vm.certificate as string,
    transparencyEntries: entries as Record<string, unknown>[],
    statement: env.statement as string,
    signature: env.signature as string,
    statementBytes,
  };
}

// ---- distribution filenames (packaging's parse_wheel_filename / parse_sdist_filename, then
// pypi-attestations' _ultranormalize_dist_filename: normalized name with `_`, sorted compressed tags) --------

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

function normalizeName(name: string): string {
  if (!NAME.test(name)) throw new Error(`invalid project name ${JSON.stringify(name)}`);
  return name.toLowerCase().replace(/[-_.]+/g, "_");
}

// PEP 440 public version (with local part), the grammar packaging.version accepts.
const PEP440 = /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

/** str(packaging.version.Version(v)): the canonical spelling of a PEP 440 version. */
export function normalizeVersion(v: string): string {
  const m = PEP440.exec(v.trim());
  if (!m) throw new Error(`invalid version ${JSON.stringify(v)}`);
  const [, epoch, release, preL, preN, postImplicit, postL, postN, devL, devN, local] = m;
  let out = epoch && Number(epoch) !== 0 ? `${Number(epoch)}!` : "";
  out += release!.split(".").map((n) => String(Number(n))).join(".");
  if (preL) {
    const l = preL.toLowerCase();
    out += ({ alpha: "a", beta: "b", c: "rc", pre: "rc", preview: "rc" } as Record<string, string>)[l] ?? l;
    out += String(Number(preN ?? 0));
  }
  if (postImplicit !== undefined) out += `.post${Number(postImplicit)}`;
  else if (postL) out += `.post${Number(postN ?? 0)}`;
  if (devL) out += `.dev${Number(devN ?? 0)}`;
  if (local) out += `+${local.toLowerCase().replace(/[-_]/g, ".").split(".").map((p) => (/^\d+$/.test(p) ? String(Number(p)) : p)).join(".")}`;
  return out;
}

/** The ultranormalized form of a wheel or sdist filename; throws Error naming what is invalid. */
export function ultranormalizeDistFilename(dist: string): string {
  if (dist.endsWith(".whl")) {
    const parts = dist.slice(0, -4).split("-");
    if (parts.length !== 5 && parts.length !== 6) throw new Error(`invalid wheel filename (wrong number of parts): ${dist}`);
    const [name, ver] = parts as [string, string];
    let build = "";
    if (parts.length === 6) {
      const b = /^(\d+)(.*)$/.exec(parts[2]!);
      if (!b) throw new Error(`invalid build number: ${parts[2]} in ${dist}`);
      build = `${Number(b[1])}${b[2]}`;
    }
    const [py, abi, plat] = parts.slice(-3) as [string, string, string];
    const tag = (t: string) => [...new Set(t.toLowerCase().split("."))].sort().join(".");
    const fields = [normalizeName(name), normalizeVersion(ver), ...(build ? [build] : []), tag(py), tag(abi), tag(plat)];
    return `${fields.join("-")}.whl`;
  }
  for (const ext of [".tar.gz", ".zip"]) {
    if (!dist.endsWith(ext)) continue;
    const stem = dist.slice(0, -ext.length);
    const dash = stem.lastIndexOf("-");
    if (dash <= 0) throw new Error(`invalid sdist filename (no version): ${dist}`);
    return `${normalizeName(stem.slice(0, dash))}-${normalizeVersion(stem.slice(dash + 1))}${ext}`;
  }
  throw new Error(`unknown distribution format: ${dist}`);
}
