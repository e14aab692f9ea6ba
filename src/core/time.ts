// Time is a parameter everywhere. The CLI reads the clock once, at its boundary, when --time is absent.
import { TollgateError } from "./errors.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** True when `value` is an RFC 3339 date-time that names a real instant. */
export function isRfc3339(value: unknown): value is string {
  return typeof value === "string" && RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

export function parseTime(value: string, flag = "--time"): Date {
  const d = new Date(value);
  if (!RFC3339.test(value) || Number.isNaN(d.getTime())) {
    throw new TollgateError("usage", `${flag} must be an RFC 3339 time such as 2026-01-31T12:00:00Z (got ${value})`);
  }
  return d;
}

/** `--time` if given, else now — called once per invocation, never inside verification or policy. */
export function decisionTime(flag?: string): Date {
  return flag ? parseTime(flag) : new Date();
}
