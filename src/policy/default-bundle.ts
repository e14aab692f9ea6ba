// The default gate bundle ships inside tollgate, so `tollgate eval` works with no flags. It is embedded in its
// stored form (scripts/build-bundles.ts writes it from bundles/default.tar.gz): the WASM module's bytes and a
// members file, so a cold start neither gunzips nor untars. Both are pinned by sha256 in source and checked
// before a byte of them is evaluated; the bundle keeps the .tar.gz's identity (sha256, revision).
import wasmPath from "../../bundles/default.policy.wasm" with { type: "file" };
import membersPath from "../../bundles/default.members" with { type: "file" };
import { readFileSync } from "node:fs";
import { sha256Hex } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import { fromFiles, type PolicyBundle } from "./bundle.ts";
import { DEFAULT_BUNDLE_MEMBERS_SHA256, DEFAULT_BUNDLE_SHA256, DEFAULT_BUNDLE_WASM_SHA256 } from "./default-bundle.pin.ts";

export const DEFAULT_BUNDLE_SOURCE = "embedded:default";
export const GATE_ENTRYPOINT = "tollgate/gate/decision";

interface StoredMembers {
  sha256: string;
  files: ({ name: string; text: string } | { name: string; stored: string })[];
}

function readPinned(path: string, pinned: string, what: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TollgateError("policy_unreadable", `embedded default bundle is missing its ${what} (${(e as Error).message})`, DEFAULT_BUNDLE_SOURCE);
  }
  const actual = sha256Hex(bytes);
  if (actual !== pinned) {
    throw new TollgateError("bundle_unverified", `embedded default bundle's ${what} has sha256 ${actual}, pinned ${pinned}; refusing to evaluate it`, DEFAULT_BUNDLE_SOURCE);
  }
  return bytes;
}

export async function loadDefaultBundle(): Promise<PolicyBundle> {
  const members = JSON.parse(new TextDecoder().decode(readPinned(membersPath, DEFAULT_BUNDLE_MEMBERS_SHA256, "members"))) as StoredMembers;
  const wasm = readPinned(wasmPath, DEFAULT_BUNDLE_WASM_SHA256, "policy.wasm");
  if (members.sha256 !== DEFAULT_BUNDLE_SHA256) {
    throw new TollgateError("bundle_unverified", `embedded default bundle's members describe bundle ${members.sha256}, pinned ${DEFAULT_BUNDLE_SHA256}`, DEFAULT_BUNDLE_SOURCE);
  }
  const enc = new TextEncoder();
  const files = new Map(members.files.map((f) => [f.name, "text" in f ? enc.encode(f.text) : wasm] as [string, Uint8Array]));
  return fromFiles(files, DEFAULT_BUNDLE_SOURCE, DEFAULT_BUNDLE_SHA256);
}
