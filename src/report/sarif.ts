import { sha256Hex } from "../core/digest.ts";
import pkg from "../../package.json" with { type: "json" };
import { stableStringify } from "../core/input.ts";
import type { PolicyResult } from "../policy/gate.ts";
import type { GateReport, Reporter } from "./types.ts";

/** `scheme://…`: an absolute URI with an authority (oci://, https://, file://), given as it is. */
const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:\/\//i;
/** `host:port` or `host:port/…`: a registry location (an image's name), which no relative reference can spell. */
const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}(?:\/|$)/i;

type ArtifactLocation = { uri: string; uriBaseId?: string };

/**
 * A path or URI as a SARIF artifactLocation. Only a workspace-relative path gets uriBaseId %SRCROOT%: SARIF 2.1.0
 * §3.4.4 has uriBaseId only on a relative reference, and an absolute uri carries none. An absolute URI
 * (`oci://HOST/REPO@sha256:…` evidence, `https://…`) is given as it is; an absolute file path is a file: URI
 * (upload-sarif makes those under the checkout relative); a relative path is escaped segment by segment, so a
 * `:` in its first segment cannot read as a URI scheme.
 */
export function artifactLocation(path: string): ArtifactLocation {
  const slashed = path.replace(/\\/g, "/");
  const escaped = (p: string) => encodeURI(p).replace(/[?#]/g, encodeURIComponent);
  if (slashed.startsWith("/")) return { uri: "file://" + escaped(slashed) };
  if (/^[a-z]:\//i.test(slashed)) return { uri: "file:///" + escaped(slashed) };
  if (ABSOLUTE_URI.test(slashed)) return { uri: withAuthority(slashed, escaped) };
  const rel = slashed.replace(/^(\.\/)+/, "");
  return { uri: rel.split("/").map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" };
}

/** `scheme://AUTHORITY/PATH` with the path escaped and the authority as it is (an IPv6 host keeps its brackets). */
function withAuthority(uri: string, escape: (p: string) => string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(uri)!;
  return m[1]! + m[2]! + escape(m[3]!);
}

/** `oci://HOST/REPO@…` or `oci://HOST/REPO:TAG` → `HOST/REPO`: the image an evidence file was read from. */
function imageOf(path: string): string | undefined {
  if (!path.startsWith("oci://")) return undefined;
  return path.slice("oci://".length).replace(/@[^/]*$/, "").replace(/:[^/:]*$/, "");
}

/**
 * Where a result points, as a SARIF artifactLocation. GitHub code scanning rejects a result without a location,
 * so every result gets one: the evidence file the policy named; else the policy bundle when it is a local file;
 * else the subject's name; else `tollgate`. A subject name that is an image's (`HOST[:PORT]/REPO`, the name of an
 * oci:// operand) is that image's oci:// URI, not a path in the checkout.
 */
export function sarifLocation(r: PolicyResult, rep: GateReport): ArtifactLocation {
  const usable = (p: unknown): p is string => typeof p === "string" && p.length > 0 && p !== "-";
  if (usable(r.evidence)) return artifactLocation(r.evidence);
  const bundle = rep.bundle.source;
  if (usable(bundle) && !/^[a-z][a-z0-9+.-]*:/i.test(bundle)) return artifactLocation(bundle);
  const name = rep.input.context.subject?.name;
  if (usable(name)) {
    const images = new Set(rep.input.evidence.map((e) => imageOf(e.source.path)));
    if (images.has(name) || HOST_PORT.test(name)) return { uri: withAuthority("oci://" + name, encodeURI) };
    return artifactLocation(name);
  }
  return artifactLocation("tollgate");
}

/** SARIF 2.1.0: rule ids are the policy's stable rule ids; denials are errors, warnings warnings. */
export const sarifReporter: Reporter = {
  name: "sarif",
  render(rep: GateReport): string {
    const all: [PolicyResult, "error" | "warning"][] = [
      ...rep.decision.deny.map((r) => [r, "error"] as [PolicyResult, "error"]),
      ...rep.decision.warn.map((r) => [r, "warning"] as [PolicyResult, "warning"]),
    ];
    const ruleIds = [...new Set(all.map(([r]) => r.rule))].sort();
    const doc = {
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "tollgate",
              version: pkg.version,
              rules: ruleIds.map((id) => {
                const first = all.find(([r]) => r.rule === id)![0];
                return { id, shortDescription: { text: id }, ...(first.remediation ? { help: { text: first.remediation } } : {}) };
              }),
            },
          },
          originalUriBaseIds: { "%SRCROOT%": { description: { text: "the repository checkout (the directory tollgate ran in)" } } },
          results: all.map(([r, level]) => {
            const loc = sarifLocation(r, rep);
            return {
              ruleId: r.rule,
              ruleIndex: ruleIds.indexOf(r.rule),
              level,
              message: { text: r.msg },
              locations: [{ physicalLocation: { artifactLocation: loc, region: { startLine: 1 } } }],
              // Our own fingerprint (rule, location, message), so GitHub matches the same finding across runs
              // instead of hashing line 1 of an evidence file.
              partialFingerprints: { "tollgateResult/v1": sha256Hex(`${r.rule}\0${loc.uri}\0${r.msg}`) },
              ...(r.severity ? { properties: { severity: r.severity } } : {}),
            };
          }),
          properties: { allow: rep.decision.allow, inputDigest: rep.inputDigest, bundleRevision: rep.bundle.revision, subject: rep.input.context.subject ?? null },
        },
      ],
    };
    return stableStringify(doc, 2) + "\n";
  },
};
