// The real-artifact corpus lives in ../shared/fixtures (CI always has it; a plain clone does not).
// Tests that read it use `fixtureDescribe`: it runs when the corpus is there and otherwise skips with one
// line saying so. Under CI=true a missing corpus is a failure, never a skip.
import { describe, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const SHARED = resolve(process.env.TOLLGATE_SHARED ?? join(REPO_ROOT, "../shared"));
export const FIXTURES = join(SHARED, "fixtures");
export const haveFixtures = existsSync(FIXTURES);

let noticed = false;
export function fixtureDescribe(name: string, body: () => void): void {
  if (haveFixtures) return describe(name, body);
  if (process.env.CI === "true") {
    describe(name, () => test("shared fixtures are present in CI", () => { throw new Error(`missing ${FIXTURES}`); }));
    return;
  }
  if (!noticed) {
    noticed = true;
    console.log(`notice: ${FIXTURES} is absent; fixture tests skipped (they run in CI)`);
  }
  describe.skip(name, body);
}

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
