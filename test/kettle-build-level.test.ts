// The SLSA Build level a Kettle build earns (facts.kettle.slsa_build_level), from its signer and platform, and
// the gate's kettle_min_build_level knob. Synthetic AMD chain made at test time.
import { beforeAll, describe, expect, test } from "bun:test";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import { buildInputDocument } from "../src/core/input.ts";
import { makeKettleKind, slsaBuildLevel } from "../src/evidence/kettle/index.ts";
import type { SourceFile } from "../src/evidence/types.ts";
import { flipBit, kettleBinding, kettleProvenanceText, kettleSnpEvidence, makeAmdChain, signedReport, type SyntheticAmd, syntheticTrust } from "./support/amd-chain.ts";
import { decideBothEngines } from "./support/gate-parity.ts";

let chain: SyntheticAmd;
beforeAll(async () => {
  chain = await makeAmdChain();
}, 60_000);

const APP = new TextEncoder().encode("the release binary\n");
const DEBUG = 1n << 19n; // SEV-SNP guest policy bit 19: debugging allowed

async function build(o: { policy?: bigint; tamper?: boolean; provenance?: string } = {}) {
  const provenance = o.provenance ?? kettleProvenanceText({ app: APP });
  const reportData = new Uint8Array(64);
  reportData.set(kettleBinding(provenance));
  let report = await signedReport(chain, { reportData, policy: o.policy ?? 0x30000n });
  if (o.tamper) report = flipBit(report, 0x90);
  const evidence = sourceFromText("/b/evidence.json", kettleSnpEvidence(report, chain.vcekDer));
  const files: SourceFile[] = [evidence, sourceFromText("/b/provenance.json", provenance, false), sourceFromBytes("/b/artifacts/app", APP, false)];
  const kind = makeKettleKind({ amdTrust: syntheticTrust(chain) });
  const ctx = makeVerifyContext({ time: chain.validTime, files });
  const parsed = kind.parse(evidence);
  const checks = await kind.verify(parsed, evidence, ctx);
  return kind.normalize(parsed, checks, evidence, ctx)[0]!;
}

const level = async (o: Parameters<typeof build>[0]) => {
  const k = (await build(o)).facts.kettle as { slsa_build_level: number; slsa_build_level_reason: string };
  return [k.slsa_build_level, k.slsa_build_level_reason];
};

describe("kettle SLSA Build level", () => {
  test("hardware-signed from a confidential VM with debugging off: L3", async () => {
    expect(await level({})).toEqual([3, "provenance signed by snp hardware from an isolated confidential VM (debugging off): signing material out of the build's reach"]);
  });

  test("a debuggable guest: L2 (signed by the platform, but not isolated from the host)", async () => {
    expect(await level({ policy: 0x30000n | DEBUG })).toEqual([2, "provenance signed by snp hardware, but the guest policy allows debugging: the build is not isolated from the host"]);
  });

  test("hardware that does not verify: L1 (provenance exists, not authenticated)", async () => {
    expect((await level({ tamper: true }))[0]).toBe(1);
  });

  test("no SLSA v1 statement: L0", () => {
    expect(slsaBuildLevel(false, false, false, "tdx").slsa_build_level).toBe(0);
    expect(slsaBuildLevel(true, true, false, "tdx").slsa_build_level).toBe(3);
    expect(slsaBuildLevel(true, true, false, "az-snp").slsa_build_level).toBe(3);
  });

  test("kettle_min_build_level: L3 required denies the debuggable build naming both levels, admits the isolated one", async () => {
    const rules = async (record: Awaited<ReturnType<typeof build>>) => {
      const input = buildInputDocument({ time: chain.validTime.toISOString(), subject: { digest: { sha256: new Bun.CryptoHasher("sha256").update(APP).digest("hex") } }, trust: { keys: [], identities: [] } }, [record], []);
      const d = await decideBothEngines(input, { kettle_min_build_level: 3, tee_allow_debug: true });
      return d.deny.filter((r) => r.rule === "I1.slsa-build-level").map((r) => r.msg);
    };
    expect(await rules(await build({}))).toEqual([]);
    expect(await rules(await build({ policy: 0x30000n | DEBUG }))).toEqual([
      "Kettle build reaches SLSA Build L2, below the required L3: provenance signed by snp hardware, but the guest policy allows debugging: the build is not isolated from the host",
    ]);
  });
});
