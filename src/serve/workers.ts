// A gate on every core: the primary thread owns the bundle manager (pull, verify, compile) and the decision log;
// each worker thread runs the same request handler with its own compiled engine, all listening on one port
// (SO_REUSEPORT: the kernel spreads connections over them). A new bundle is compiled in every worker before any
// switches to it (prepare), then all switch together (commit); a worker that cannot compile it refuses it for
// all of them, so every thread answers with the same bundle except during the instant of the swap.
import { TollgateError } from "../core/errors.ts";
import { settledWithin } from "../core/deadline.ts";
import type { PolicyBundle } from "../policy/bundle.ts";
import type { DecisionEvent } from "../telemetry/decision-log.ts";
import type { ActiveBundle } from "./bundles.ts";
import type { GateCore, HandlerConfig } from "./core.ts";

/** A bundle as it crosses to a worker: its files (structured-cloned) and the active bundle's description. */
export interface BundleTransfer {
  files: Map<string, Uint8Array>;
  source: string;
  sha256: string;
  meta: Omit<ActiveBundle, "engine">;
}

export type ToWorker =
  | { type: "init"; cfg: HandlerConfig; port: number; thread: number; bundle: BundleTransfer; logDecisions: boolean; metrics?: SharedArrayBuffer }
  | { type: "prepare"; seq: number; bundle: BundleTransfer }
  | { type: "commit"; seq: number }
  | { type: "abort"; seq: number }
  | { type: "readiness"; id: number; result: Awaited<ReturnType<GateCore["readiness"]>> }
  | { type: "stop" };

export type FromWorker =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | { type: "prepared"; seq: number }
  | { type: "prepare-failed"; seq: number; message: string }
  | { type: "log"; event: DecisionEvent }
  | { type: "line"; line: string }
  | { type: "readiness"; id: number }
  | { type: "stopped" };

// The worker entry is an entry point of the compiled binary too (scripts/build-binary.sh), where it is named by
// its path below the build root (src/); from source it is this module's sibling.
const WORKER_ENTRY = import.meta.url.includes("/$bunfs/") ? "./serve/worker.ts" : new URL("./worker.ts", import.meta.url).href;

export function transfer(bundle: PolicyBundle, active: ActiveBundle): BundleTransfer {
  const { engine: _, ...meta } = active;
  return { files: bundle.files, source: bundle.source, sha256: bundle.sha256, meta };
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private state: "idle" | "starting" | "running" | "stopped" = "idle";
  private started: Promise<void> | undefined;
  private seq = 0;
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(
    readonly size: number,
    private readonly cfg: HandlerConfig,
    private readonly log: (line: string) => void,
  ) {}

  /** Spawn the workers on `port`, each compiling `active` (the bundle the primary serves), and wait until all listen. */
  start(port: number, active: ActiveBundle, core: GateCore): Promise<void> {
    this.state = "starting";
    this.started = (async () => {
      const init = transfer(active.engine.bundle, active);
      await Promise.all(
        Array.from({ length: this.size }, (_, i) => {
          const w = new Worker(WORKER_ENTRY);
          this.workers.push(w);
          w.onmessage = (e: MessageEvent<FromWorker>) => this.onMessage(w, i, e.data, core);
          w.onerror = (e) => {
            this.log(`worker ${i + 1}: ${e.message}`);
            this.settle(`init:${i}`, new Error(e.message));
          };
          const ready = this.expect(`init:${i}`);
          w.postMessage({ type: "init", cfg: this.cfg, port, thread: i + 1, bundle: init, logDecisions: core.logsDecisions, ...(core.metrics ? { metrics: core.metrics.buffer } : {}) } satisfies ToWorker);
          return ready;
        }),
      );
      this.state = "running";
    })();
    return this.started;
  }

  /** BundleManager's prepare hook: compile in every worker; the returned commit switches them all. */
  async prepare(bundle: PolicyBundle, next: ActiveBundle): Promise<() => void> {
    if (this.state === "idle" || this.state === "stopped") return () => {}; // the first bundle goes out with init
    await this.started;
    const seq = ++this.seq;
    const msg: ToWorker = { type: "prepare", seq, bundle: transfer(bundle, next) };
    try {
      await Promise.all(this.workers.map((w, i) => {
        const p = this.expect(`prepare:${seq}:${i}`);
        w.postMessage(msg);
        return p;
      }));
    } catch (e) {
      for (const w of this.workers) w.postMessage({ type: "abort", seq } satisfies ToWorker);
      throw new TollgateError("policy_invalid", `a worker could not load the bundle: ${(e as Error).message}`, bundle.source);
    }
    return () => {
      for (const w of this.workers) w.postMessage({ type: "commit", seq } satisfies ToWorker);
    };
  }

  async stop(): Promise<void> {
    if (this.state === "idle" || this.state === "stopped") return;
    this.state = "stopped";
    const stopped = Promise.all(this.workers.map((w, i) => {
      const p = this.expect(`stop:${i}`).catch(() => {});
      w.postMessage({ type: "stop" } satisfies ToWorker);
      return p;
    }));
    await settledWithin(stopped, 6_000);
    for (const w of this.workers) w.terminate();
  }

  private expect(key: string): Promise<void> {
    return new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
  }

  private settle(key: string, err?: Error): void {
    const w = this.waiting.get(key);
    if (!w) return;
    this.waiting.delete(key);
    if (err) w.reject(err);
    else w.resolve();
  }

  private onMessage(w: Worker, i: number, m: FromWorker, core: GateCore): void {
    switch (m.type) {
      case "ready":
        return this.settle(`init:${i}`);
      case "failed":
        return this.settle(`init:${i}`, new Error(m.message));
      case "prepared":
        return this.settle(`prepare:${m.seq}:${i}`);
      case "prepare-failed":
        return this.settle(`prepare:${m.seq}:${i}`, new Error(m.message));
      case "log":
        return core.emit(m.event);
      case "line":
        return this.log(`worker ${i + 1}: ${m.line}`);
      case "readiness":
        void core.readiness().then((result) => w.postMessage({ type: "readiness", id: m.id, result } satisfies ToWorker));
        return;
      case "stopped":
        return this.settle(`stop:${i}`);
    }
  }
}
