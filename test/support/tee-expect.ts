// Assertions shared by the TDX and Nitro verifier tests: find a check by name, expect it failed with a code
// and reason (and the hardware facts failed, with no root), or expect every check passed.
import { expect } from "bun:test";
import type { Check, HardwareFacts } from "../../src/evidence/types.ts";

export interface HardwareVerification {
  checks: Check[];
  hardware: HardwareFacts;
}

export function check(v: HardwareVerification, name: string): Check {
  const c = v.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name} in ${v.checks.map((x) => x.name).join(", ")}`);
  return c;
}

export function expectFailed(v: HardwareVerification, name: string, code: string, reason: RegExp): void {
  const c = check(v, name);
  expect(c.ok).toBe(false);
  expect(c.code).toBe(code as Check["code"]);
  expect(c.reason).toMatch(reason);
  expect(v.hardware.status).toBe("failed");
  expect(v.hardware.root).toBeUndefined();
}

export function expectAllOk(v: HardwareVerification): void {
  expect(v.checks.filter((c) => !c.ok)).toEqual([]);
  expect(v.hardware.status).toBe("verified");
}
