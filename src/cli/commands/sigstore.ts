// tollgate sigstore verify-bundle: the Sigstore client conformance CLI protocol.
//   verify-bundle [--staging] --bundle FILE --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root FILE] FILE_OR_DIGEST
//   verify-bundle [--staging] --bundle FILE --key PATH_TO_KEY [--trusted-root FILE] FILE_OR_DIGEST
// Exit 0 only when verified, 1 when rejected, 2 on usage errors and unreadable inputs.
import { defineCommand } from "citty";
import { EXIT_ADMIT, EXIT_DENY, TollgateError, usage } from "../../core/errors.ts";
import { loadPublicKeyPem } from "../../crypto/keys.ts";
import { loadTrustedRootFile, publicGoodTrustedRoot } from "../../sigstore/trusted-root.ts";
import { verifySigstoreBundle, type ArtifactRef, type IdentityPolicy } from "../../sigstore/verify.ts";
import type { TrustedKey } from "../../evidence/types.ts";
import { bool, helpArgs, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";
import { readUserFile } from "../../core/read.ts";

const flags: FlagSpecs = {
  bundle: { type: "string", description: "the Sigstore bundle to verify", valueHint: "FILE" },
  "certificate-identity": { type: "string", description: "expected signer identity (certificate SAN), matched exactly", valueHint: "IDENTITY" },
  "certificate-identity-regexp": { type: "string", description: "expected signer identity as a regular expression (instead of --certificate-identity)", valueHint: "REGEXP" },
  "certificate-oidc-issuer": { type: "string", description: "expected OIDC issuer of the signing certificate", valueHint: "URL" },
  key: { type: "string", description: "public key (PEM) of a managed-key bundle", valueHint: "PATH_TO_KEY" },
  "trusted-root": { type: "string", description: "Sigstore trusted root JSON (default: the embedded public-good root)", valueHint: "FILE" },
  staging: { type: "boolean", description: "use the Sigstore staging instance (needs --trusted-root: no staging root is embedded)" },
};

const DIGEST = /^sha256:([0-9a-fA-F]{64})$/;

const verifyBundle = defineCommand({
  meta: { name: "verify-bundle", description: "Verify a Sigstore bundle offline (Sigstore conformance CLI protocol)" },
  args: helpArgs(flags, { name: "FILE_OR_DIGEST", description: "the artifact, or sha256:<64 hex>", required: true }),
  run: ({ rawArgs }) =>
    runCommand("sigstore verify-bundle", async () => {
      const p = parseStrict(rawArgs, flags);
      const rootPath = str(p, "trusted-root");
      if (bool(p, "staging") && rootPath === undefined) {
        throw usage("--staging: no Sigstore staging trusted root is available offline; pass the staging root with --trusted-root FILE");
      }
      if (p.positionals.length !== 1) throw usage(`give exactly one FILE_OR_DIGEST (got ${p.positionals.length})`);
      const bundlePath = str(p, "bundle");
      if (!bundlePath) throw usage("--bundle FILE is required");
      const keyPath = str(p, "key");
      const identity = str(p, "certificate-identity");
      const identityRegexp = str(p, "certificate-identity-regexp");
      const issuer = str(p, "certificate-oidc-issuer");
      if (identity !== undefined && identityRegexp !== undefined) throw usage("give --certificate-identity or --certificate-identity-regexp, not both");
      const wantsIdentity = identity !== undefined || identityRegexp !== undefined || issuer !== undefined;
      if (keyPath !== undefined && wantsIdentity) throw usage("give either --key or --certificate-identity/--certificate-oidc-issuer, not both");
      if (keyPath === undefined && !wantsIdentity) throw usage("give --key PATH_TO_KEY, or --certificate-identity and --certificate-oidc-issuer");
      let policy: IdentityPolicy | undefined;
      if (wantsIdentity) {
        if (issuer === undefined) throw usage("--certificate-oidc-issuer URL is required with --certificate-identity");
        if (identity === undefined && identityRegexp === undefined) throw usage("--certificate-identity IDENTITY is required with --certificate-oidc-issuer");
        if (identityRegexp !== undefined) {
          try {
            new RegExp(identityRegexp);
          } catch (e) {
            throw usage(`--certificate-identity-regexp: ${(e as Error).message}`);
          }
        }
        policy = identityRegexp !== undefined ? { identity: identityRegexp, issuer, identityRegexp: true } : { identity: identity!, issuer };
      }

      // Inputs: unreadable or unusable ones are exit 2 (could not evaluate), before anything is verified.
      const trustedRoot = rootPath !== undefined ? loadTrustedRootFile(rootPath) : publicGoodTrustedRoot();
      let keys: TrustedKey[] = [];
      if (keyPath !== undefined) {
        try {
          keys = [loadPublicKeyPem(keyPath)];
        } catch (e) {
          // A key that reads but is not a valid public key cannot verify anything: a rejection, not a usage error.
          if (e instanceof TollgateError && e.code === "malformed") {
            console.error(`rejected: ${keyPath}: ${e.message} (malformed)`);
            return EXIT_DENY;
          }
          throw e;
        }
      }
      const bundleText = await readText(bundlePath, "bundle");
      const target = p.positionals[0]!;
      const m = DIGEST.exec(target);
      const artifact: ArtifactRef = m ? { sha256: m[1]!.toLowerCase() } : { bytes: await readBytes(target, "artifact") };

      let bundleJson: unknown;
      try {
        bundleJson = JSON.parse(bundleText);
      } catch (e) {
        console.error(`rejected: ${bundlePath}: not JSON (${(e as Error).message})`);
        return EXIT_DENY;
      }
      // The only clock read: the current instant, taken once here, bounds every time in the bundle.
      const now = new Date();
      const result = await verifySigstoreBundle(bundleJson, {
        trustedRoot, keys, artifact, now, requireTransparency: true,
        ...(policy ? { identity: policy } : {}),
      });
      if (!result.ok) {
        const bad = result.checks.find((c) => !c.ok);
        console.error(`rejected: ${bundlePath}: ${bad?.name ?? "verification"}: ${bad?.reason ?? "did not verify"} (${bad?.code ?? "signature_failed"})`);
        return EXIT_DENY;
      }
      const s = result.signer;
      const who = s?.type === "keyless" ? `${s.identity} (issuer ${s.issuer})` : s?.type === "key" ? `key ${s.fingerprint}` : "unknown signer";
      const log = result.transparency.logIndex !== undefined ? `, log index ${result.transparency.logIndex}` : "";
      console.error(`verified: ${bundlePath} (${result.format}) signed by ${who}${log}`);
      return EXIT_ADMIT;
    }),
});

function readBytes(path: string, what: string): Promise<Uint8Array> {
  return readUserFile(path, what, "unreadable");
}

async function readText(path: string, what: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(path, what));
}

export default defineCommand({
  meta: { name: "sigstore", description: "Sigstore tools (offline bundle verification)" },
  subCommands: { "verify-bundle": verifyBundle },
});
