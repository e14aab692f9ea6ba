// The long fuzz run (README "Hostile input"): bun test/fuzz/run.ts [--seed N] [--iterations N] [--max-ms MS] [--max-rss MB]
// Prints one line per failure (seed, iteration and mutators reproduce it) and a summary; exits 1 on any failure.
import { runFuzz } from "./harness.ts";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seed = arg("seed", 1);
const report = await runFuzz({ seed, iterations: arg("iterations", 20_000), maxMsPerInput: arg("max-ms", 2000), maxRssMB: arg("max-rss", 512), log: (l) => console.error(l) });
for (const f of report.failures) console.log(`FAIL seed=${seed} iteration=${f.iteration} ${f.seed} [${f.mutators.join(", ")}]: ${f.problem}`);
console.log(JSON.stringify({ seed, iterations: report.iterations, failures: report.failures.length, outcomes: report.outcomes, kinds: report.kinds, mutators: report.mutators }));
process.exit(report.failures.length ? 1 : 0);
