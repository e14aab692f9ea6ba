// invarlock runtime manifests as evidence kind "runtime-manifest".
//
// runtime.manifest.json is found by content; the evaluation.report.json it is bound to is a material found
// beside it (same directory, `report.filename`), never by a path the manifest names elsewhere. verify checks
// the binding (sha256 of the report's raw bytes), the config file when the manifest says it came from a
// file (v1: when that file was supplied; v2: always), and for v2 what invarlock's v2 verifier adds:
// report.path equal to the report's name, distinct bound file names, image_ref pinned to image_digest, each
// runtime-provider sidecar bound by sha256 and valid against invarlock's schema for it, and their contents
// cross-bound (provider.ts). The report's outcome becomes facts only when the binding holds: an unbound report
// says nothing about this run.
//
// A manifest is unsigned: it proves nothing about who ran the evaluation. What makes it strict evidence
// is the binding plus an expected image digest the policy gets independently (data), never from the
// manifest itself; that comparison is made in Rego (policies/tollgate/gate/runtime_manifest.rego).
//
// An evaluation.report.json no manifest claims is not evidence, and it is an input error ("report without
// runtime.manifest.json", kind `invarlock-report` below) whether named or found by walking a directory: the
// seed requires runtime.manifest.json with every report, and skipping it would silently drop a report that
// may have failed.
import { basename, dirname, join, normalize, resolve } from "node:path";
import type { JsonObject } from "../../core/canonical-json.ts";
import { TollgateError } from "../../core/errors.ts";
import type { Check, EvidenceKind, EvidenceRecord, SourceFile, VerifyContext } from "../types.ts";
import { looksLikeRuntimeManifest, parseRuntimeManifest, type RuntimeManifest, type SidecarRole } from "./manifest.ts";
import { providerCrossBindingCheck, sidecarSchemaCheck } from "./provider.ts";
import { looksLikeEvaluationReport, reportOutcome, type ReportOutcome } from "./report.ts";

export { parseRuntimeManifest, type RuntimeManifest } from "./manifest.ts";

export const RUNTIME_MANIFEST_KIND = "runtime-manifest";

const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A file name with no directory part: the manifest may only point beside itself. */
function isPlainFileName(name: string): boolean {
  return name.length > 0 && name !== "." && name !== ".." && !/[/\\]/.test(name);
}

function siblingPath(manifestPath: string, name: string): string {
  return normalize(join(dirname(manifestPath), name));
}

/** The supplied file beside `manifest` named `name`, if any (paths compared resolved, so `./a` and `/x/a` meet). */
function findSibling(manifest: SourceFile, files: readonly SourceFile[], name: string): SourceFile | undefined {
  if (!isPlainFileName(name)) return undefined;
  const want = resolve(siblingPath(manifest.path, name));
  return files.find((f) => f !== manifest && resolve(f.path) === want);
}

function fail(name: string, code: Check["code"], reason: string, detail?: Record<string, unknown>): Check {
  const c: Check = { name, ok: false, code, reason };
  if (detail) c.detail = detail;
  return c;
}

/** Names of the files a manifest binds, beside it: report, config (source file), v2 sidecars. */
function boundNames(m: RuntimeManifest): string[] {
  const names = [m.report.filename];
  if (m.config.source === "file" && m.config.path) names.push(basename(m.config.path));
  for (const s of m.sidecars) names.push(s.filename);
  return names;
}

/** One sha256 binding: present, non-empty, equal. */
function bindingCheck(
  name: string,
  what: string,
  expected: string,
  file: SourceFile | undefined,
  expectedPath: string,
): Check {
  if (!file) {
    return fail(name, "binding_failed", `${what} ${expectedPath} was not supplied: the manifest binds it by sha256 (evaluate the directory holding both, or name both files)`, { expected_path: expectedPath, expected_sha256: expected });
  }
  if (file.bytes.length === 0) return fail(name, "binding_failed", `${what} ${file.path} is empty`, { path: file.path });
  if (file.sha256 !== expected) {
    return fail(name, "digest_mismatch", `${what} ${file.path} hashes to sha256 ${file.sha256} (raw bytes) but the manifest records ${expected}`, {
      path: file.path,
      expected,
      actual: file.sha256,
    });
  }
  return { name, ok: true, detail: { path: file.path, sha256: file.sha256 } };
}

export interface ManifestVerification {
  checks: Check[];
  report?: SourceFile;
  outcome?: ReportOutcome;
}

/**
 * Step 1 alone: the schema check, the report's binding (a plain file name beside the manifest whose raw bytes
 * hash to report.sha256), its parse and declared execution mode; the bound report and its outcome. normalize()
 * needs only this, so it does not re-run the sidecar parsing, schemas and cross-binding verify() did.
 */
function bindReport(m: RuntimeManifest, file: SourceFile, files: readonly SourceFile[]): ManifestVerification {
  const checks: Check[] = [{ name: "schema.runtime_manifest", ok: true, detail: { contract: m.contractVersion } }];
  const out: ManifestVerification = { checks };
  if (!isPlainFileName(m.report.filename)) {
    checks.push(fail("binding.report_sha256", "binding_failed", `report.filename ${JSON.stringify(m.report.filename)} is not a plain file name; the report must sit beside runtime.manifest.json`));
  } else {
    const report = findSibling(file, files, m.report.filename);
    const check = bindingCheck("binding.report_sha256", "report", m.report.sha256, report, siblingPath(file.path, m.report.filename));
    checks.push(check);
    if (report) out.report = report;
    if (check.ok && report) {
      const json = report.json();
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        checks.push(fail("report.parse", "malformed", `report ${report.path} is bound but is not a JSON object`, { path: report.path }));
      } else {
        out.outcome = reportOutcome(json as Record<string, unknown>);
        checks.push({ name: "report.parse", ok: true });
        // The report says how it ran too; a manifest claiming another mode is not this report's manifest.
        const declared = out.outcome.execution_mode;
        if (declared !== null && declared !== m.executionMode) {
          checks.push(fail("binding.execution_mode", "binding_failed", `report declares execution_mode ${declared} but the manifest records ${m.executionMode}`, { report: declared, manifest: m.executionMode }));
        } else {
          checks.push({ name: "binding.execution_mode", ok: true, detail: { execution_mode: m.executionMode, declared_by_report: declared !== null } });
        }
      }
    }
  }
  return out;
}

/** The checks, in order, plus the bound report and its outcome (when bound). Pure over its inputs. */
export function verifyRuntimeManifest(m: RuntimeManifest, file: SourceFile, files: readonly SourceFile[]): ManifestVerification {
  const out = bindReport(m, file, files);
  const checks = out.checks;

  // 2. v2 only (invarlock's v2 verifier): report.path names the report too, every bound file name is its
  //    own, and the outer container's image_ref is pinned to the image_digest it declares.
  if (m.version === 2) checks.push(...v2NameChecks(m, file));

  // 3. The config, when it came from a file. v1: checked when that file was supplied (an absent config is
  //    recorded in facts; invarlock's v1 verifier does not read it). v2: bound like the report, so a missing
  //    config file fails closed.
  if (m.config.source === "file" && m.config.path) {
    const name = basename(m.config.path);
    const cfg = findSibling(file, files, name);
    if (cfg || m.version === 2) {
      checks.push(m.config.sha256
        ? bindingCheck("binding.config_sha256", "config", m.config.sha256, cfg, cfg?.path ?? siblingPath(file.path, name))
        : fail("binding.config_sha256", "binding_failed", `config.source is file but config.sha256 is null; ${cfg?.path ?? name} cannot be bound`, { path: cfg?.path ?? name }));
    }
  }

  // 4. v2: every runtime-provider sidecar is bound like the report; a missing one fails closed. A bound one must
  //    be a strict JSON object valid against invarlock's schema for its role. When all three are, their
  //    contents must agree with each other and with the manifest (provider.ts).
  const bound: Partial<Record<SidecarRole, SourceFile>> = {};
  const parsed: Partial<Record<SidecarRole, JsonObject>> = {};
  for (const s of m.sidecars) {
    const sidecar = findSibling(file, files, s.filename);
    const check = bindingCheck(`binding.${s.role}_sha256`, `runtime_provider.${s.role}`, s.sha256, sidecar, siblingPath(file.path, s.filename));
    checks.push(check);
    if (check.ok && sidecar) {
      const schema = sidecarSchemaCheck(s.role, sidecar);
      checks.push(schema.check);
      if (schema.value) {
        bound[s.role] = sidecar;
        parsed[s.role] = schema.value;
      }
    }
  }
  if (m.version === 2 && parsed.receipt && parsed.scoring_observation && parsed.artifact_identity) {
    checks.push(providerCrossBindingCheck(m, bound as Record<SidecarRole, SourceFile>, parsed as Record<SidecarRole, JsonObject>));
  }
  return out;
}

/** `image_ref` pins `digest`: the digest itself, or `name@digest` with exactly one `@` (invarlock's v2 rule). */
export function imageRefBindsDigest(ref: string, digest: string): boolean {
  if (ref === digest) return true;
  const at = ref.indexOf("@");
  return at > 0 && at === ref.lastIndexOf("@") && ref.slice(at + 1) === digest;
}

/** v2's name checks, in invarlock's order: report.path, distinct bound names, image_ref pinned. */
function v2NameChecks(m: RuntimeManifest, file: SourceFile): Check[] {
  const checks: Check[] = [];
  if (m.report.path !== m.report.filename) {
    checks.push(fail("binding.report_path", "binding_failed", `report.path ${JSON.stringify(m.report.path)} does not match report.filename ${JSON.stringify(m.report.filename)}: a v2 manifest names the report beside it by both`, { path: m.report.path, filename: m.report.filename }));
  } else {
    checks.push({ name: "binding.report_path", ok: true });
  }

  const provider = m.sidecars.map((s) => s.filename);
  const reserved = new Set([m.report.path, m.report.filename, basename(file.path)]);
  const problems: string[] = [];
  if (new Set(provider).size !== provider.length) problems.push("runtime provider binding filenames must be distinct");
  const collide = [...new Set(provider.filter((n) => reserved.has(n)))].sort();
  if (collide.length) problems.push(`runtime provider bindings collide with the report or manifest: ${collide.join(", ")}`);
  const config = m.config.source === "file" ? m.config.path : null;
  if (config !== null && reserved.has(config)) problems.push(`file config ${config} collides with the report or manifest`);
  if (config !== null && provider.includes(config)) problems.push(`file config ${config} collides with a runtime provider binding`);
  checks.push(problems.length
    ? fail("binding.distinct_files", "binding_failed", problems.join("; "), { problems })
    : { name: "binding.distinct_files", ok: true });

  const digest = m.runtime.image_digest ?? "";
  checks.push(imageRefBindsDigest(m.runtime.image_ref, digest)
    ? { name: "binding.image_ref", ok: true }
    : fail("binding.image_ref", "binding_failed", `outer_container.image_ref ${m.runtime.image_ref} does not pin image_digest ${digest} (expected the digest itself or <name>@${digest})`, { image_ref: m.runtime.image_ref, image_digest: digest }));
  return checks;
}

// verify() may only return Check[]; normalize() recomputes the bound report and its outcome (bindReport) from
// the same pure inputs.
function tryParse(file: SourceFile): RuntimeManifest | undefined {
  try {
    return parseRuntimeManifest(file);
  } catch {
    return undefined;
  }
}

export const runtimeManifestKind: EvidenceKind<RuntimeManifest> = {
  name: "runtime-manifest",

  detect(file) {
    return looksLikeRuntimeManifest(file.json());
  },

  parse: parseRuntimeManifest,

  async verify(parsed, file, ctx) {
    return verifyRuntimeManifest(parsed, file, ctx.files).checks;
  },

  normalize(parsed, checks, file, ctx: VerifyContext): EvidenceRecord[] {
    const v = bindReport(parsed, file, ctx.files);
    const bad = checks.find((c) => !c.ok);
    const materials = boundNames(parsed)
      .map((n) => findSibling(file, ctx.files, n))
      .filter((f): f is SourceFile => f !== undefined)
      .map((f) => ({ path: f.path, digest: { sha256: f.sha256 } }));
    const record: EvidenceRecord = {
      id: `sha256:${file.sha256}`,
      kind: RUNTIME_MANIFEST_KIND,
      source: { path: file.path, digest: { sha256: file.sha256 }, format: `invarlock-${parsed.contractVersion}`, materials },
      signature: { status: "unsigned", signers: [] },
      transparency: { status: "absent" },
      integrity: bad ? { status: "failed", reason: bad.reason ?? bad.name } : { status: "verified" },
      checks,
      facts: manifestFacts(parsed, checks, v),
    };
    return [record];
  },

  materials(file, all, parsed = tryParse(file)) {
    let names: string[];
    if (parsed) names = boundNames(parsed);
    else {
      // parse reported the problem (and fails closed). The report it names is still its report: left
      // unclaimed, it would add a second, wrong error ("report without runtime.manifest.json").
      const report = (file.json() as { report?: { filename?: unknown } } | undefined)?.report;
      names = typeof report?.filename === "string" ? [report.filename] : [];
    }
    return names
      .map((n) => findSibling(file, all, n))
      .filter((f): f is SourceFile => f !== undefined)
      .map((f) => f.path);
  },
};

function checkOk(checks: Check[], name: string): boolean {
  return checks.some((c) => c.name === name && c.ok);
}

/** Pure: the facts policies read. */
export function manifestFacts(m: RuntimeManifest, checks: Check[], v: ManifestVerification): Record<string, unknown> {
  const pinned = m.runtime.image_digest !== null && IMAGE_DIGEST.test(m.runtime.image_digest);
  const reportBound = checkOk(checks, "binding.report_sha256");
  const integrityOk = checks.every((c) => c.ok);

  let configBinding: "verified" | "failed" | "not_supplied" | "n/a" = "n/a";
  if (m.config.source === "file") {
    const c = checks.find((x) => x.name === "binding.config_sha256");
    configBinding = !c ? "not_supplied" : c.ok ? "verified" : "failed";
  }

  // Why this manifest cannot back strict assurance on its own (the expected digest is policy, not here).
  const strict_blockers: string[] = [];
  if (m.executionMode !== "container") strict_blockers.push(`execution_mode is ${m.executionMode}`);
  if (!m.runtime.container_execution) strict_blockers.push("container_execution is false");
  if (!pinned) strict_blockers.push("runtime image is not digest-pinned");
  if (!reportBound) strict_blockers.push("report is not bound to the manifest");
  if (!integrityOk && reportBound) strict_blockers.push("a bound file failed verification");
  if (m.runtime.allow_remote_code) strict_blockers.push("allow_remote_code is true");
  if (m.runtime.allow_third_party_plugins) strict_blockers.push("allow_third_party_plugins is true");
  // invarlock's v2 strict verification: "strict runtime manifest requires a verifiable file config".
  if (m.version === 2 && m.config.source !== "file") strict_blockers.push(`config.source is ${m.config.source}: strict v2 needs a verifiable file config`);

  const facts: Record<string, unknown> = {
    manifest_version: m.version,
    contract_version: m.contractVersion,
    generated_at: m.generatedAt,
    execution_mode: m.executionMode,
    host_bypass: m.executionMode === "host-bypass",
    image_ref: m.runtime.image_ref,
    image_digest: m.runtime.image_digest,
    image_digest_pinned: pinned,
    container_execution: m.runtime.container_execution,
    allow_network: m.runtime.allow_network,
    allow_remote_code: m.runtime.allow_remote_code,
    allow_third_party_plugins: m.runtime.allow_third_party_plugins,
    report: {
      filename: m.report.filename,
      declared_path: m.report.path,
      sha256: m.report.sha256,
      path: v.report?.path ?? null,
      present: v.report !== undefined,
      bound: reportBound,
    },
    report_bound: reportBound,
    config: { source: m.config.source, path: m.config.path, sha256: m.config.sha256, binding: configBinding },
    outcome: v.outcome ?? null,
    strict_eligible: strict_blockers.length === 0,
    strict_blockers,
  };
  if (m.version === 2) {
    facts.sidecars = m.sidecars.map((s) => ({ role: s.role, filename: s.filename, sha256: s.sha256, bound: checkOk(checks, `binding.${s.role}_sha256`) }));
  }
  return facts;
}

/**
 * An invarlock evaluation report with no manifest binding it (named, or found under a directory). A
 * manifest's report is consumed as its material before this kind ever parses, so reaching parse means
 * nothing claimed it.
 */
export const orphanEvaluationReportKind: EvidenceKind<never> = {
  name: "invarlock-report",
  detect(file) {
    return looksLikeEvaluationReport(file.json());
  },
  parse(file) {
    throw new TollgateError(
      "binding_failed",
      "invarlock evaluation report without runtime.manifest.json: a report proves nothing about its runtime unless a readable manifest beside it binds its sha256 (pass the directory holding both files; if a manifest is there, see its own error)",
      file.path,
    );
  },
  async verify() {
    return [];
  },
  normalize() {
    return [];
  },
};
