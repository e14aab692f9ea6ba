// tollgate promote SRC@DIGEST DST: a referrer-aware copy (I2) — the image (every platform of an index) with its
// signatures, attestations and SBOMs — gated first when a trust flag is given (--key, identities, --policy):
// the source's registry evidence is verified and the policy must admit it, or nothing is copied (exit 1).
// The outcome is one decision signal: an OpenTelemetry LogRecord (OTLP/JSON) appended to --decision-log.
import { defineCommand } from "citty";
import { appendFileSync } from "node:fs";
import { nodeOs } from "../../core/lazy.ts";
import pkg from "../../../package.json" with { type: "json" };
import { EXIT_ADMIT, EXIT_DENY, TollgateError, usage } from "../../core/errors.ts";
import { decide, loadPolicy, makeBundleVerifier, prepareEvidence } from "../../gate/run.ts";
import { helpArgs, list, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";
import { vsaFlags, vsaFlagSpecs } from "../vsa.ts";
import { bundleTrust, bundleTrustFlags, evidenceOptions, identities, registryFlags, registryOptions, trustFlags } from "../common.ts";

const ONLY = ["sig", "att", "sbom"] as const;

const flags: FlagSpecs = {
  only: { type: "string", description: "copy only these attachments, not the image (comma-separated: sig,att,sbom; as cosign copy)", valueHint: "LIST" },
  policy: { type: "string", short: "p", description: "gate the source with this bundle before copying (default with --key/identities: the embedded gate bundle)", valueHint: "BUNDLE" },
  data: { type: "string", short: "d", multiple: true, description: "data overlay for the gate (JSON or YAML)", valueHint: "FILE" },
  entrypoint: { type: "string", short: "e", description: "entrypoint returning {allow, deny, warn}", default: "tollgate/gate/decision" },
  environment: { type: "string", description: "target environment, recorded in the decision and its log record", valueHint: "NAME" },
  "decision-log": { type: "string", description: "append the outcome as an OTLP/JSON LogRecord (event tollgate.decision) to FILE", valueHint: "FILE" },
  ...vsaFlagSpecs,
  ...bundleTrustFlags,
  ...trustFlags,
  ...registryFlags,
};

export default defineCommand({
  meta: { name: "promote", description: "Copy an image by digest with its signatures, attestations and SBOMs; verified first when a trust flag is given" },
  args: helpArgs(flags, { name: "SRC", description: "oci://HOST/REPO@sha256:HEX, then DST oci://HOST/REPO[:TAG]", required: true }),
  run: ({ rawArgs }) =>
    runCommand("promote", async () => {
      const p = parseStrict(rawArgs, flags);
      if (p.positionals.length !== 2) throw usage("give SRC (oci://HOST/REPO@sha256:HEX) and DST (oci://HOST/REPO[:TAG])");
      const [srcArg, dstArg] = p.positionals as [string, string];
      const { parseOciReference } = await import("../../evidence/oci/reference.ts");
      const src = parseOciReference(srcArg, "digest");
      const dst = parseOciReference(dstArg, "either");
      if (dst.digest && dst.digest !== src.digest) throw usage(`DST names digest ${dst.digest}, but SRC is ${src.digest}: a promotion copies by digest`);
      const only = str(p, "only")?.split(",").map((s) => s.trim()).filter(Boolean);
      for (const o of only ?? []) if (!(ONLY as readonly string[]).includes(o)) throw usage(`--only takes ${ONLY.join(",")} (got ${o})`);
      const registry = registryOptions(p);

      const trusted = list(p, "key").length > 0 || identities(p).length > 0 || str(p, "policy") !== undefined;
      // Refused before anything is read or copied: a VSA records a verified decision, and must not half-happen.
      const vsa = await vsaFlags(p);
      if (vsa && !trusted) throw usage("--emit-vsa records a verified decision: give --key, --certificate-identity/--certificate-oidc-issuer or --policy");
      let vsaOut: { commit(): void } | undefined;
      const time = new Date();
      let event: { allow: boolean; denyRules: string[]; warnRules: string[]; bundleRevision: string; bundleSha256: string; inputDigest: string; entrypoint: string; time: Date } = {
        allow: true, denyRules: [], warnRules: [], bundleRevision: "", bundleSha256: "", inputDigest: "", entrypoint: "", time,
      };
      let denyText = "";
      if (trusted) {
        const verifyBundle = await makeBundleVerifier(bundleTrust(p));
        const policy = await loadPolicy({ policy: str(p, "policy"), dataFiles: list(p, "data"), verifyBundle, registry });
        const opts = await evidenceOptions(p, policy.data);
        const prepared = await prepareEvidence([srcArg], opts);
        const report = decide(await policy.engine, prepared, str(p, "entrypoint"));
        const d = report.decision;
        event = {
          allow: d.allow, denyRules: [...new Set(d.deny.map((r) => r.rule))].sort(), warnRules: [...new Set(d.warn.map((r) => r.rule))].sort(),
          bundleRevision: report.bundle.revision, bundleSha256: report.bundle.sha256, inputDigest: report.inputDigest, entrypoint: report.entrypoint, time: opts.time,
        };
        denyText = d.deny.map((r) => `DENY  ${r.rule}: ${r.msg}`).join("\n");
        vsaOut = vsa?.render(report);
      }

      let copied: Awaited<ReturnType<typeof import("../../evidence/oci/copy.ts").copyImage>> | undefined;
      if (event.allow) {
        const { RegistryClient } = await import("../../evidence/oci/client.ts");
        const { copyImage } = await import("../../evidence/oci/copy.ts");
        const client = new RegistryClient(registry);
        copied = await copyImage(client, src, { registry: dst.registry, repository: dst.repository, ...(dst.tag ? { tag: dst.tag } : {}) }, only ? { only: only as ("sig" | "att" | "sbom")[] } : {});
      }
      const target = `oci://${dst.registry}/${dst.repository}@${src.digest}`;
      writeDecisionLog(str(p, "decision-log"), str(p, "environment"), { ...event, src: srcArg, dst: target, verified: trusted, copied: copied?.attachments.length ?? 0 });
      // After the copy (an admitted promotion whose copy failed gets no PASSED VSA), or on deny (FAILED).
      vsaOut?.commit();

      if (!event.allow) {
        process.stdout.write(`${denyText}\nNOT PROMOTED: ${srcArg} was denied; nothing was copied\n`);
        return EXIT_DENY;
      }
      const c = copied!;
      const kinds = c.attachments.map((a) => a.kind);
      const count = (k: string) => kinds.filter((x) => x === k).length;
      process.stdout.write(
        `${only ? "copied attachments of" : "promoted"} ${srcArg} → ${target}${dst.tag ? ` (tag ${dst.tag})` : ""}${trusted ? ", verified and admitted first" : ", NOT verified (no --key, identity or --policy)"}\n` +
          `  ${c.manifests} manifests; blobs ${c.blobs.uploaded} uploaded, ${c.blobs.mounted} mounted, ${c.blobs.present} already there; ` +
          `attachments: ${count("sig")} .sig, ${count("att")} .att, ${count("sbom")} .sbom, ${count("referrer")} referrers\n`,
      );
      return EXIT_ADMIT;
    }),
});

function writeDecisionLog(
  file: string | undefined,
  environment: string | undefined,
  e: { allow: boolean; denyRules: string[]; warnRules: string[]; bundleRevision: string; bundleSha256: string; inputDigest: string; entrypoint: string; time: Date; src: string; dst: string; verified: boolean; copied: number },
): void {
  if (!file) return;
  // Loaded only when asked for; a record that cannot be written is an error (the caller asked for the signal).
  const tel = require("../../telemetry/decision-log.ts") as typeof import("../../telemetry/decision-log.ts");
  const otlp = require("../../telemetry/otlp.ts") as typeof import("../../telemetry/otlp.ts");
  const subject = /@sha256:([0-9a-f]{64})$/.exec(e.src)?.[1];
  const record = tel.decisionLogRecord({
    decisionId: tel.decisionId({ inputDigest: e.inputDigest || `promote ${e.src} ${e.dst}`, entrypoint: e.entrypoint || "promote", bundleRevision: e.bundleRevision, bundleSha256: e.bundleSha256 }),
    time: e.time, endpoint: "promote", entrypoint: e.entrypoint || "(none: unverified copy)", allow: e.allow, denyRules: e.denyRules, warnRules: e.warnRules,
    bundleRevision: e.bundleRevision, bundleSha256: e.bundleSha256, inputDigest: e.inputDigest, ...(subject ? { subjectDigest: `sha256:${subject}` } : {}),
  });
  record.attributes.push(
    otlp.str("tollgate.promotion.source", e.src),
    otlp.str("tollgate.promotion.destination", e.dst),
    otlp.bool("tollgate.promotion.verified", e.verified),
    otlp.bool("tollgate.promotion.copied", e.allow),
    { key: "tollgate.promotion.attachments", value: { intValue: String(e.copied) } },
  );
  const req = tel.exportRequest({ serviceName: "tollgate", serviceVersion: pkg.version, instanceId: nodeOs().hostname(), ...(environment ? { environment } : {}) }, [record]);
  try {
    appendFileSync(file, JSON.stringify(req) + "\n");
  } catch (err) {
    throw new TollgateError("unreadable", `cannot write the decision log (${(err as NodeJS.ErrnoException).code ?? err})`, file);
  }
}
