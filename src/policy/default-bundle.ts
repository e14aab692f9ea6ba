// The default gate bundle ships inside tollgate, so `tollgate eval` works with no flags. Its sha256 is pinned
// in source and checked before a byte of it is evaluated.
import bundlePath from "../../bundles/default.tar.gz" with { type: "file" };
import { readFile } from "node:fs/promises";
import { sha256Hex } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import { readBundle, type PolicyBundle } from "./bundle.ts";
import { DEFAULT_BUNDLE_SHA256 } from "./default-bundle.pin.ts";

export const DEFAULT_BUNDLE_SOURCE = "embedded:default";
export const GATE_ENTRYPOINT = "tollgate/gate/decision";

export async function loadDefaultBundle(): Promise<PolicyBundle> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(bundlePath));
  } catch (e) {
    throw new TollgateError("policy_unreadable", `embedded default bundle is missing (${(e as Error).message})`, DEFAULT_BUNDLE_SOURCE);
  }
  const actual = sha256Hex(bytes);
  if (actual !== DEFAULT_BUNDLE_SHA256) {
    throw new TollgateError(
      "bundle_unverified",
      `embedded default bundle has sha256 ${actual}, pinned ${DEFAULT_BUNDLE_SHA256}; refusing to evaluate it`,
      DEFAULT_BUNDLE_SOURCE,
    );
  }
  return readBundle(bytes, DEFAULT_BUNDLE_SOURCE);
}
