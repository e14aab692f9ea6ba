// tollgate serve --config FILE: the gate service (see src/serve/server.ts for the endpoints).
import { defineCommand } from "citty";
import pkg from "../../../package.json" with { type: "json" };
import { EXIT_ERROR, asTollgateError, usage } from "../../core/errors.ts";
import { resolve } from "node:path";
import { helpArgs, oneOf, parseStrict, str, type FlagSpecs, type Parsed } from "../args.ts";
import type { ServeConfigFile } from "../../serve/config.ts";

const flags: FlagSpecs = {
  config: { type: "string", description: "YAML/JSON config (schemas/serve-config.schema.json), required", valueHint: "FILE" },
  addr: { type: "string", description: "override the config's addr (host:port; port 0 = ephemeral)" },
  "diagnostic-addr": { type: "string", description: "also serve /health, /ready and /metrics in plain HTTP on host:port, for probes where addr requires mTLS (diagnostic_addr)" },
  // OPA's `run --server` flags for the same settings; each overrides its config key (tls.*, auth.*).
  "tls-cert-file": { type: "string", description: "serve HTTPS with this PEM certificate chain (tls.cert_file)", valueHint: "FILE" },
  "tls-private-key-file": { type: "string", description: "its PEM private key (tls.key_file)", valueHint: "FILE" },
  "tls-ca-cert-file": { type: "string", description: "require client certificates from these CAs: mTLS (tls.client_ca_file)", valueHint: "FILE" },
  "tls-min-version": { type: "string", description: "lowest TLS version: 1.2 (default) or 1.3 (tls.min_version)" },
  authentication: { type: "string", description: "token (bearer tokens from --bearer-tokens-file or auth:), tls (client certificates, needs --tls-ca-cert-file), off" },
  "bearer-tokens-file": { type: "string", description: "one bearer token per line, required on /v1/* (auth.bearer_tokens_file)", valueHint: "FILE" },
};

/** OPA's TLS and authentication flags folded into the config document (paths relative to the working directory). */
function applyOpaFlags(p: Parsed, doc: ServeConfigFile): void {
  const abs = (f: string) => resolve(process.cwd(), f);
  const cert = str(p, "tls-cert-file");
  const key = str(p, "tls-private-key-file");
  const ca = str(p, "tls-ca-cert-file");
  const min = str(p, "tls-min-version");
  const authn = str(p, "authentication");
  const tokens = str(p, "bearer-tokens-file");
  if (min !== undefined && min !== "1.2" && min !== "1.3") throw usage(`--tls-min-version ${min}: tollgate serves TLS 1.2 or 1.3 (give 1.2 or 1.3)`);
  if (authn !== undefined) oneOf(authn, ["token", "tls", "off"] as const, "authentication");
  if (cert || key) {
    const tls = { ...doc.tls } as Partial<NonNullable<ServeConfigFile["tls"]>>;
    if (cert) tls.cert_file = abs(cert);
    if (key) tls.key_file = abs(key);
    if (!tls.key_file) throw usage("--tls-cert-file needs --tls-private-key-file (or tls.key_file in the config)");
    if (!tls.cert_file) throw usage("--tls-private-key-file needs --tls-cert-file (or tls.cert_file in the config)");
    doc.tls = tls as NonNullable<ServeConfigFile["tls"]>;
  }
  if (ca || min) {
    if (!doc.tls) throw usage(`--${ca ? "tls-ca-cert-file" : "tls-min-version"} needs TLS (--tls-cert-file and --tls-private-key-file, or tls: in the config)`);
    if (ca) doc.tls.client_ca_file = abs(ca);
    if (min) doc.tls.min_version = min as "1.2" | "1.3";
  }
  if (tokens) doc.auth = { bearer_tokens_file: abs(tokens) };
  if (authn === "token" && !doc.auth) throw usage("--authentication=token needs --bearer-tokens-file (or auth.bearer_tokens_file in the config): the tokens clients must present");
  if (authn === "tls" && !doc.tls?.client_ca_file) throw usage("--authentication=tls needs --tls-ca-cert-file (or tls.client_ca_file in the config): the CA client certificates must chain to");
  if (authn === "off" && (doc.auth || doc.tls?.client_ca_file)) throw usage(`--authentication=off contradicts ${doc.auth ? "the bearer tokens" : "the client CA"} configured; remove them instead`);
}

export default defineCommand({
  meta: { name: "serve", description: "Run the gate service: /v1/gate, /v1/data, /v1/admission, /health, /ready" },
  args: helpArgs(flags),
  async run({ rawArgs }) {
    const { loadServeConfig, parseAddr } = await import("../../serve/config.ts");
    const { startGateServer } = await import("../../serve/server.ts");
    try {
      // Strict like every other command: a misspelt flag or a missing --config is a usage error (exit 2), not
      // something to ignore while a gate starts with a configuration the operator did not mean.
      const p = parseStrict(rawArgs, flags);
      if (p.positionals.length) throw usage(`unexpected argument ${p.positionals[0]} (the gate is configured by --config FILE)`);
      const config = str(p, "config");
      if (!config) throw usage("give --config FILE");
      const cfg = loadServeConfig(config, pkg.version, (doc) => applyOpaFlags(p, doc));
      const addr = str(p, "addr");
      if (addr) Object.assign(cfg, parseAddr(addr));
      const diagnostic = str(p, "diagnostic-addr");
      if (diagnostic) cfg.diagnostic = parseAddr(diagnostic, "--diagnostic-addr");
      const srv = await startGateServer(cfg);
      // The one line scripts wait for: the bound URL (useful with port 0).
      console.log(`tollgate serve: ready on ${srv.url}`);
      const shutdown = async (sig: string) => {
        console.error(`tollgate serve: ${sig}, stopping`);
        await srv.stop();
        process.exit(0);
      };
      process.on("SIGTERM", () => void shutdown("SIGTERM"));
      process.on("SIGINT", () => void shutdown("SIGINT"));
    } catch (e) {
      console.error(`tollgate serve: ${asTollgateError(e).oneLine()}`);
      process.exit(EXIT_ERROR);
    }
  },
});
