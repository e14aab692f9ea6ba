// bun bench/oci.ts [runs] — attestation fetch + verify for an image with 10 attestations on a local registry:
// `tollgate verify --key … oci://IMAGE@DIGEST` cold (nothing cached) and with `--registry-cache DIR` warm, against
// `cosign verify-attestation --key …` on the same image, each as a fresh process (what CI runs). The registry is the
// real distribution registry on 127.0.0.1 (in-memory storage), the attestations the real `cosign attest`.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, CLI } from "../test/support/cli.ts";
import { peerPath, runPeer } from "../test/support/peers.ts";
import { pushRandomImage, startDistribution, tempDir } from "../test/support/registry.ts";

const runs = Number(process.argv[2] ?? 10);
const ATTESTATIONS = 10;
const dir = tempDir("tollgate-bench-oci-");
const env = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir };

const reg = await startDistribution();
try {
  if (runPeer("cosign", ["generate-key-pair"], { cwd: dir, env }).code !== 0) throw new Error("cosign generate-key-pair failed");
  const image = pushRandomImage(reg.host, "bench/api", dir);
  for (let i = 0; i < ATTESTATIONS; i++) {
    writeFileSync(join(dir, "pred.json"), JSON.stringify({ buildDefinition: { buildType: "https://example.com/build", externalParameters: { n: i } }, runDetails: { builder: { id: "https://example.com/builder" } } }));
    const r = runPeer("cosign", ["attest", "--key", "cosign.key", "--type", "https://slsa.dev/provenance/v1", "--predicate", "pred.json", "--tlog-upload=false", "--allow-http-registry", image], { cwd: dir, env });
    if (r.code !== 0) throw new Error(`cosign attest failed: ${r.stderr}`);
  }
  const pub = join(dir, "cosign.pub");
  const cache = join(dir, "cache");

  const time = (cmd: string[], check: (out: string) => boolean, before?: () => void): number[] => {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      before?.();
      const t0 = performance.now();
      const p = Bun.spawnSync(cmd, { cwd: dir, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
      ms.push(performance.now() - t0);
      if (p.exitCode !== 0 || !check(p.stdout.toString() + p.stderr.toString())) throw new Error(`${cmd.join(" ")} failed: ${p.stderr}`);
    }
    return ms;
  };
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const sd = (a: number[]) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
  const tenVerified = (out: string) => (out.match(/slsa-provenance {2}\(dsse\) {2}signature verified/g) ?? []).length === ATTESTATIONS;

  const cold = time([BUN, CLI, "verify", "--key", pub, `oci://${image}`], tenVerified);
  time([BUN, CLI, "verify", "--key", pub, "--registry-cache", cache, `oci://${image}`], tenVerified); // fill the cache
  const warm = time([BUN, CLI, "verify", "--key", pub, "--registry-cache", cache, `oci://${image}`], tenVerified);
  const cosign = time(
    [peerPath("cosign"), "verify-attestation", "--key", pub, "--insecure-ignore-tlog=true", "--allow-http-registry", "--type", "https://slsa.dev/provenance/v1", image],
    (out) => (out.match(/"payloadType"/g) ?? []).length === ATTESTATIONS,
  );
  const row = (name: string, a: number[]) => `| ${name} | ${mean(a).toFixed(0)} ± ${sd(a).toFixed(0)} ms | ${(mean(a) / mean(cosign)).toFixed(2)}× |`;
  console.log(`${ATTESTATIONS} attestations, ${runs} runs each, one process per run\n`);
  console.log("| measurement | mean | vs cosign verify-attestation |\n|---|---:|---:|");
  console.log(row("tollgate verify, cold (no cache)", cold));
  console.log(row("tollgate verify, --registry-cache warm", warm));
  console.log(row("cosign verify-attestation", cosign));
} finally {
  await reg.stop();
  rmSync(dir, { recursive: true, force: true });
}
