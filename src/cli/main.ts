#!/usr/bin/env bun
// tollgate's command line. Each command lives in commands/<name>.ts and is loaded on first use, so a
// `tollgate eval` does not pay for the gate service or the hardware verifiers.
import { defineCommand, runCommand, runMain } from "citty";
import pkg from "../../package.json" with { type: "json" };

const main = defineCommand({
  meta: { name: "tollgate", version: pkg.version, description: "Policy engine for software-supply-chain evidence" },
  subCommands: {
    eval: () => import("./commands/eval.ts").then((m) => m.default),
    verify: () => import("./commands/verify.ts").then((m) => m.default),
    inspect: () => import("./commands/inspect.ts").then((m) => m.default),
    test: () => import("./commands/test.ts").then((m) => m.default),
    "policy-test": () => import("./commands/policy-test.ts").then((m) => m.default),
    parse: () => import("./commands/parse.ts").then((m) => m.default),
    sigstore: () => import("./commands/sigstore.ts").then((m) => m.default),
    ledger: () => import("./commands/ledger.ts").then((m) => m.default),
    contract: () => import("./commands/contract.ts").then((m) => m.default),
    bundle: () => import("./commands/bundle.ts").then((m) => m.default),
    serve: () => import("./commands/serve.ts").then((m) => m.default),
    promote: () => import("./commands/promote.ts").then((m) => m.default),
    conform: () => import("./commands/conform.ts").then((m) => m.default),
  },
});

// citty's runMain exits 1 on its own usage errors (unknown or missing subcommand, missing argument); for
// tollgate, 1 means "denied", so those go through runCommand and exit 2. --help and --version stay citty's.
const rawArgs = process.argv.slice(2);
const builtin = rawArgs.some((a) => a === "--help" || a === "-h") || (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v"));
if (builtin) {
  await runMain(main, { rawArgs });
} else {
  try {
    await runCommand(main, { rawArgs });
  } catch (e) {
    const message = ((e as Error)?.message ?? String(e)).replace(/\u001b\[[0-9;]*m/g, "");
    const first = rawArgs.find((a) => !a.startsWith("-"));
    const cmd = first && first in (main.subCommands as object) ? first : "";
    console.error(`tollgate: ${message} (see tollgate ${cmd ? cmd + " " : ""}--help)`);
    process.exit(2);
  }
}
