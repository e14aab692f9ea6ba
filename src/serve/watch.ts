// Files the gate re-reads while it runs (TLS certificate and key, the bearer token file): polled by content, so
// an in-place edit, an atomic rename and a Kubernetes Secret's symlink swap (..data → ..2026_…) are all seen.
// A change is offered to `apply`; when it refuses the new contents (a certificate without its key yet, say) the
// current material stays in force and the refusal is logged once per distinct contents, then retried on the
// next change.
import { readFile } from "node:fs/promises";
import { sha256Hex } from "../core/digest.ts";
import { asTollgateError } from "../core/errors.ts";

/** How often watched files are re-read, ms. */
export const WATCH_INTERVAL_MS = 1000;

export class FileWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private current: string;
  private refused: string | undefined;
  private busy = false;

  /**
   * `initial` is the contents' digest the caller loaded at start (see `digestOf`); `apply` throws to refuse new
   * contents and is given the bytes of every file, in `paths` order.
   */
  constructor(
    private readonly paths: string[],
    initial: string,
    private readonly apply: (contents: Uint8Array[]) => void | Promise<void>,
    private readonly log: (line: string) => void,
    private readonly what: string,
    intervalMs = WATCH_INTERVAL_MS,
  ) {
    this.current = initial;
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref?.();
  }

  static digestOf(contents: Uint8Array[]): string {
    return contents.map((c) => sha256Hex(c)).join(",");
  }

  /** Read the files now and apply them if they changed (the timer does this on its own). */
  async poll(): Promise<void> {
    if (this.busy || !this.timer) return;
    this.busy = true;
    try {
      let contents: Uint8Array[];
      try {
        contents = await Promise.all(this.paths.map(async (p) => new Uint8Array(await readFile(p))));
      } catch (e) {
        const why = `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
        if (this.refused !== why) this.log(`${this.what}: ${(e as { path?: string }).path ?? this.paths.join(", ")} ${why}; keeping the current one`);
        this.refused = why;
        return;
      }
      const digest = FileWatch.digestOf(contents);
      if (digest === this.current || digest === this.refused) return;
      try {
        await this.apply(contents);
        this.current = digest;
        this.refused = undefined;
      } catch (e) {
        this.refused = digest;
        this.log(`${this.what}: new contents refused (${asTollgateError(e).oneLine()}); keeping the current one`);
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
