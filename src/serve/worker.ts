// One worker thread of a multi-threaded gate (see workers.ts): the request handler over its own compiled engine,
// listening on the primary's port. Bundles arrive from the primary already verified; readiness and decision
// records go back to it.
import { asTollgateError } from "../core/errors.ts";
import { settledWithin } from "../core/deadline.ts";
import { fromFiles } from "../policy/bundle.ts";
import { PolicyEngine } from "../policy/evaluator.ts";
import type { ActiveBundle } from "./bundles.ts";
import type { GateCore } from "./core.ts";
import { createGateHandler, listen, loadHandlerInputs } from "./server.ts";
import type { BundleTransfer, FromWorker, ToWorker } from "./workers.ts";
import { GateMetrics } from "../telemetry/metrics.ts";

declare const self: Worker;
const send = (m: FromWorker) => self.postMessage(m);

let active: ActiveBundle | undefined;
const pending = new Map<number, ActiveBundle>();
let stopping = false;
let server: ReturnType<typeof listen> | undefined;
let overlays: { source: string; data: Record<string, unknown> }[] = [];
let readinessId = 0;
const readinessWaiters = new Map<number, (r: Awaited<ReturnType<GateCore["readiness"]>>) => void>();

async function load(t: BundleTransfer): Promise<ActiveBundle> {
  const engine = await PolicyEngine.create(fromFiles(t.files, t.source, t.sha256), overlays);
  return { ...t.meta, engine };
}

const core: GateCore & { thread: number; metrics?: GateMetrics; logsDecisions: boolean } = {
  active: () => active,
  failure: () => undefined,
  readiness: () =>
    new Promise((resolve) => {
      const id = ++readinessId;
      readinessWaiters.set(id, resolve);
      send({ type: "readiness", id });
    }),
  emit: (event) => send({ type: "log", event }),
  stopping: () => stopping,
  thread: 0,
  logsDecisions: false,
};

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.type) {
    case "init":
      try {
        core.thread = m.thread;
        core.logsDecisions = m.logDecisions;
        // The primary's counters (shared memory): this thread's requests and decisions add to the same sums.
        if (m.metrics) core.metrics = new GateMetrics(m.metrics);
        const inputs = await loadHandlerInputs(m.cfg);
        overlays = inputs.overlays.overlays;
        active = await load(m.bundle);
        server = listen(m.cfg, m.port, createGateHandler(m.cfg, inputs, core, (line) => send({ type: "line", line })), true, (line) => send({ type: "line", line }), core.metrics);
        send({ type: "ready" });
      } catch (err) {
        send({ type: "failed", message: asTollgateError(err).oneLine() });
      }
      return;
    case "prepare":
      try {
        pending.set(m.seq, await load(m.bundle));
        send({ type: "prepared", seq: m.seq });
      } catch (err) {
        send({ type: "prepare-failed", seq: m.seq, message: asTollgateError(err).oneLine() });
      }
      return;
    case "commit": {
      const next = pending.get(m.seq);
      pending.clear();
      if (next) active = next; // the atomic swap, as on the primary
      return;
    }
    case "abort":
      pending.delete(m.seq);
      return;
    case "readiness":
      readinessWaiters.get(m.id)?.(m.result);
      readinessWaiters.delete(m.id);
      return;
    case "stop":
      stopping = true;
      if (server) {
        await settledWithin(server.stop(false), 5_000);
        await server.stop(true);
      }
      send({ type: "stopped" });
      return;
  }
};
