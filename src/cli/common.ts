// Flags shared by the evidence commands (eval, verify, inspect), declared once.
import { TollgateError, usage } from "../core/errors.ts";
import type { FlagSpecs, Parsed } from "./args.ts";
import { list, str } from "./args.ts";
import { decisionTime } from "../core/time.ts";
import type { BundleTrustOptions, EvidenceOptions } from "../gate/run.ts";
import { parseByteSize, parsePositiveInt, resolveLimits, type InputLimits } from "../core/limits.ts";

export const trustFlags: FlagSpecs = {
  key: { type: "string", multiple: true, description: "trusted public key (PEM) for DSSE and key-signed Sigstore bundles", valueHint: "PEM" },
  "certificate-identity": { type: "string", multiple: true, description: "trusted keyless signer identity (exact SAN), paired in order with --certificate-oidc-issuer", valueHint: "ID" },
  "certificate-oidc-issuer": { type: "string", multiple: true, description: "OIDC issuer of the keyless signer", valueHint: "URL" },
  "trusted-root": { type: "string", description: "Sigstore trusted root JSON (default: the embedded public-good root)", valueHint: "FILE" },
  time: { type: "string", description: "verification and decision instant, RFC 3339 (default: now)", valueHint: "RFC3339" },
};

export const subjectFlags: FlagSpecs = {
  artifact: { type: "string", description: "the artifact under evaluation (its sha256, and each sha384/sha512 the evidence names, are the subject)", valueHint: "FILE" },
  subject: { type: "string", multiple: true, description: "the artifact's digest: sha256:HEX, sha384:HEX, sha512:HEX or an integrity value sha512-BASE64 (repeat for several algorithms)", valueHint: "ALG:HEX" },
  environment: { type: "string", description: "deployment environment recorded in input.context.environment", valueHint: "NAME" },
};

export const registryFlags: FlagSpecs = {
  platform: { type: "string", description: "for an oci:// image index: the platform to gate (its evidence and the index's)", valueHint: "OS/ARCH[/VARIANT]" },
  "registry-config": { type: "string", description: "docker config.json with registry credentials (default: $DOCKER_CONFIG/config.json, ~/.docker/config.json)", valueHint: "FILE" },
  "registry-ca": { type: "string", multiple: true, description: "PEM CA trusted for registry TLS besides the system CAs", valueHint: "FILE" },
  "allow-http-registry": { type: "boolean", description: "allow plain HTTP to non-loopback registries" },
  "registry-cache": { type: "string", description: "keep fetched blobs and manifests here, keyed by digest", valueHint: "DIR" },
};

export function registryOptions(p: Parsed): NonNullable<EvidenceOptions["registry"]> {
  return {
    ...(str(p, "platform") ? { platform: str(p, "platform")! } : {}),
    ...(str(p, "registry-config") ? { registryConfig: str(p, "registry-config")! } : {}),
    ...(list(p, "registry-ca").length ? { caFiles: list(p, "registry-ca") } : {}),
    ...(p.values["allow-http-registry"] === true ? { allowHttp: true } : {}),
    ...(str(p, "registry-cache") ? { cacheDir: str(p, "registry-cache")! } : {}),
  };
}

/** Limits on the evidence read (src/core/limits.ts); every refusal names the flag that raises it. */
export const inputLimitFlags: FlagSpecs = {
  "max-input-bytes": { type: "string", description: "largest evidence file or stdin accepted (default 64MiB; suffixes KiB, MiB, GiB)", valueHint: "SIZE" },
  "max-total-bytes": { type: "string", description: "largest total of all evidence read in one run (default 256MiB, at least --max-input-bytes)", valueHint: "SIZE" },
  "max-json-depth": { type: "string", description: "deepest JSON nesting accepted in evidence (default 1000)", valueHint: "N" },
  "max-line-bytes": { type: "string", description: "longest line of a JSON Lines evidence file (default 16MiB)", valueHint: "SIZE" },
};

export function inputLimits(p: Parsed): InputLimits {
  const size = (flag: string) => (str(p, flag) !== undefined ? parseByteSize(str(p, flag)!, `--${flag}`) : undefined);
  const depth = str(p, "max-json-depth");
  return resolveLimits({
    ...(size("max-input-bytes") !== undefined ? { maxInputBytes: size("max-input-bytes")! } : {}),
    ...(size("max-total-bytes") !== undefined ? { maxTotalBytes: size("max-total-bytes")! } : {}),
    ...(depth !== undefined ? { maxJsonDepth: parsePositiveInt(depth, "--max-json-depth") } : {}),
    ...(size("max-line-bytes") !== undefined ? { maxLineBytes: size("max-line-bytes")! } : {}),
  });
}

export const bundleTrustFlags: FlagSpecs = {
  "verification-key": { type: "string", multiple: true, description: "public key (PEM) that must have signed --policy (OPA .signatures.json)", valueHint: "PEM" },
  "verification-key-id": { type: "string", multiple: true, description: "key id of each --verification-key, in order (default: default)", valueHint: "ID" },
  "signing-alg": { type: "string", description: "pin the bundle signature algorithm (RS256…ES512; required for HS256 secrets)", valueHint: "ALG" },
  scope: { type: "string", description: "required bundle signature scope", valueHint: "SCOPE" },
  "allow-unsigned": { type: "boolean", description: "evaluate a --policy bundle when no --verification-key is given; with a --verification-key an unsigned bundle is refused all the same" },
};

export function bundleTrust(p: Parsed): BundleTrustOptions {
  const files = list(p, "verification-key");
  const ids = list(p, "verification-key-id");
  if (ids.length > files.length) throw usage("more --verification-key-id than --verification-key");
  return {
    verificationKeys: files.map((file, i) => ({ file, keyId: ids[i] ?? (i === 0 ? "default" : `key${i}`) })),
    ...(str(p, "scope") !== undefined ? { scope: str(p, "scope")! } : {}),
    ...(str(p, "signing-alg") !== undefined ? { algorithm: str(p, "signing-alg")! } : {}),
    allowUnsigned: p.values["allow-unsigned"] === true,
  };
}

export function identities(p: Parsed): { issuer: string; identity: string }[] {
  const ids = list(p, "certificate-identity");
  const issuers = list(p, "certificate-oidc-issuer");
  if (ids.length !== issuers.length) {
    throw usage("--certificate-identity and --certificate-oidc-issuer go in pairs (one issuer per identity)");
  }
  return ids.map((identity, i) => ({ identity, issuer: issuers[i]! }));
}

export async function evidenceOptions(p: Parsed, data: Record<string, unknown> = {}): Promise<EvidenceOptions> {
  // The pipeline loads only for commands that read evidence (tollgate test imports these flags too).
  const { resolveSubject } = await import("../gate/run.ts");
  const subject = await resolveSubject(str(p, "artifact"), list(p, "subject"));
  return {
    time: decisionTime(str(p, "time")),
    timeExplicit: str(p, "time") !== undefined,
    keyFiles: list(p, "key"),
    identities: identities(p),
    ...(str(p, "trusted-root") ? { trustedRootFile: str(p, "trusted-root")! } : {}),
    ...(subject?.digests ? { subject: Object.entries(subject.digests).map(([alg, hex]) => `${alg}:${hex}`) } : {}),
    ...(subject?.bytes ? { artifactBytes: subject.bytes } : {}),
    ...(subject?.name ? { subjectName: subject.name } : {}),
    ...(str(p, "environment") ? { environment: str(p, "environment")! } : {}),
    registry: registryOptions(p),
    data,
    limits: inputLimits(p),
  };
}

export function requirePaths(p: Parsed, what = "PATH"): string[] {
  if (p.positionals.length === 0) throw new TollgateError("usage", `give at least one evidence ${what} (a file, a directory, or - for stdin)`);
  return p.positionals;
}
