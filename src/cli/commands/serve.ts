// tollgate serve --config FILE: the gate service (see src/serve/server.ts for the endpoints).
import { defineCommand } from "citty";
import pkg from "../../../package.json" with { type: "json" };
import { EXIT_ERROR, asTollgateError } from "../../core/errors.ts";

export default defineCommand({
  meta: { name: "serve", description: "Run the gate service: /v1/gate, /v1/data, /v1/admission, /health, /ready" },
  args: {
    config: { type: "string", required: true, description: "YAML/JSON config (schemas/serve-config.schema.json)" },
    addr: { type: "string", description: "override the config's addr (host:port; port 0 = ephemeral)" },
  },
  async run({ args }) {
    const { loadServeConfig, parseAddr } = await import("../../serve/config.ts");
    const { startGateServer } = await import("../../serve/server.ts");
    try {
      const cfg = loadServeConfig(String(args.config), pkg.version);
      if (args.addr) Object.assign(cfg, parseAddr(String(args.addr)));
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
