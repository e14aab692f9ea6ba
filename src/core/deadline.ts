// Waiting for something with an upper bound. Promise.race with Bun.sleep leaves the sleep's timer pending after
// the race is won, and a pending timer holds the process open until it fires (5 s after a gate's stop, say).

/** Resolves true once `work` settles (either way), false after `ms`; its timer is cleared either way. */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(done, done);
  });
}
