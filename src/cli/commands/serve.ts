// tollgate serve --config FILE: the gate service (see src/serve/server.ts for the endpoints).
import { defineCommand } from "citty";
import pkg from "../../../package.json" with { type: "json" };
import { EXIT_ERROR, asTollgateError, usage } from "../../core/errors.ts";
import { helpArgs, parseStrict, str, type FlagSpecs } from "../args.ts";

const flags: FlagSpecs = {
  config: { type: "string", description: "YAML/JSON config (schemas/serve-config.schema.json), required", valueHint: "FILE" },
  addr: { type: "string", description: "override the config's addr (host:port; port 0 = ephemeral)" },
};

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
      const cfg = loadServeConfig(config, pkg.version);
      const addr = str(p, "addr");
      if (addr) Object.assign(cfg, parseAddr(addr));
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
