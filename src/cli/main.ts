#!/usr/bin/env bun
// tollgate's command line. Each command lives in commands/<name>.ts and is loaded on first use, so a
// `tollgate eval` does not pay for the gate service or the hardware verifiers.
import { defineCommand, runMain } from "citty";
import pkg from "../../package.json" with { type: "json" };

const main = defineCommand({
  meta: { name: "tollgate", version: pkg.version, description: "Policy engine for software-supply-chain evidence" },
  subCommands: {
    eval: () => import("./commands/eval.ts").then((m) => m.default),
    verify: () => import("./commands/verify.ts").then((m) => m.default),
    inspect: () => import("./commands/inspect.ts").then((m) => m.default),
    test: () => import("./commands/test.ts").then((m) => m.default),
    sigstore: () => import("./commands/sigstore.ts").then((m) => m.default),
    ledger: () => import("./commands/ledger.ts").then((m) => m.default),
    contract: () => import("./commands/contract.ts").then((m) => m.default),
    bundle: () => import("./commands/bundle.ts").then((m) => m.default),
    serve: () => import("./commands/serve.ts").then((m) => m.default),
  },
});

runMain(main);
