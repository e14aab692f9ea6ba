// --emit-vsa and its companions, shared by eval and promote: parsed and the key loaded before anything is
// evaluated; the writer renders the VSA of a GateReport and writes it whole or not at all.
import { usage } from "../core/errors.ts";
import { readUserFile } from "../core/read.ts";
import { privateKeyFromPem } from "../crypto/keys.ts";
import type { GateReport } from "../report/types.ts";
import { str, type FlagSpecs, type Parsed } from "./args.ts";

export const vsaFlagSpecs: FlagSpecs = {
  "emit-vsa": { type: "string", description: "also write the decision as a DSSE-signed SLSA VSA (PASSED on admit, FAILED on deny)", valueHint: "FILE" },
  "vsa-signing-key": { type: "string", description: "PEM private key (unencrypted PKCS#8, EC or RSA) that signs the VSA", valueHint: "PEM" },
  "verifier-id": { type: "string", description: "the VSA's verifier.id (a URI consumers pin)", valueHint: "URI" },
  "resource-uri": { type: "string", description: "the VSA's resourceUri (the resource verified, e.g. oci://HOST/REPO)", valueHint: "URI" },
};

/** --emit-vsa and its three companions: all or none, the key loaded and checked before anything is evaluated. */
export interface VsaEmitter {
  /** Render (and sign) the VSA of a decision now; `commit` writes it whole or not at all. */
  render(report: GateReport): { commit(): void };
}

export async function vsaFlags(p: Parsed): Promise<VsaEmitter | undefined> {
  const file = str(p, "emit-vsa");
  const keyFile = str(p, "vsa-signing-key");
  const verifierId = str(p, "verifier-id");
  const resourceUri = str(p, "resource-uri");
  if (file === undefined) {
    const stray = (["vsa-signing-key", "verifier-id", "resource-uri"] as const).find((f) => str(p, f) !== undefined);
    if (stray) throw usage(`--${stray} is only used with --emit-vsa FILE`);
    return undefined;
  }
  const missing = (["vsa-signing-key", "verifier-id", "resource-uri"] as const).filter((f) => str(p, f) === undefined);
  if (missing.length) throw usage(`--emit-vsa needs ${missing.map((f) => `--${f}`).join(", ")}`);
  const { checkVsaOptions, renderVsa, writeFileAtomic } = await import("../report/vsa.ts");
  const opts = { verifierId: verifierId!, resourceUri: resourceUri! };
  checkVsaOptions(opts);
  const key = privateKeyFromPem(new TextDecoder().decode(await readUserFile(keyFile!, "VSA signing key")), keyFile!);
  // Rendered (and the subject checked) before the file is touched, so a command can render before it acts.
  return {
    render(report) {
      const text = renderVsa(report, opts, key);
      return { commit: () => writeFileAtomic(file, text, "VSA") };
    },
  };
}
