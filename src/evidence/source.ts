// SourceFile construction: every file is read once, hashed once, decoded at most once.
import { sha256Hex } from "../core/digest.ts";
import type { ArtifactDigests } from "../core/digest-set.ts";
import type { SourceFile, TrustedKey, VerifyContext } from "./types.ts";
import { publicGoodTrustedRoot } from "../sigstore/trusted-root.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function sourceFromBytes(path: string, bytes: Uint8Array, explicit = true): SourceFile {
  let text: string | undefined | null = null; // null = not decoded yet
  let json: unknown = undefined;
  let jsonDone = false;
  let hash: string | undefined;
  return {
    path,
    bytes,
    explicit,
    get sha256() {
      return (hash ??= sha256Hex(bytes));
    },
    text() {
      if (text === null) {
        try {
          text = utf8.decode(bytes);
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // tolerate a BOM
        } catch {
          text = undefined;
        }
      }
      return text;
    },
    json() {
      if (!jsonDone) {
        jsonDone = true;
        const t = this.text();
        const first = t?.trimStart()[0];
        if (t !== undefined && (first === "{" || first === "[")) {
          try {
            json = JSON.parse(t);
          } catch {
            json = undefined;
          }
        }
      }
      return json;
    },
  };
}

export function sourceFromText(path: string, text: string, explicit = true): SourceFile {
  return sourceFromBytes(path, new TextEncoder().encode(text), explicit);
}

export interface VerifyContextOptions {
  time: Date;
  /** Default true: tests and library callers that pass a time mean it. */
  timeExplicit?: boolean;
  keys?: readonly TrustedKey[];
  trustedRoot?: () => unknown;
  files?: readonly SourceFile[];
  params?: Record<string, unknown>;
  artifact?: ArtifactDigests;
}

export function makeVerifyContext(o: VerifyContextOptions): VerifyContext {
  let root: unknown;
  return {
    time: o.time,
    timeExplicit: o.timeExplicit ?? true,
    keys: o.keys ?? [],
    files: o.files ?? [],
    params: o.params ?? {},
    ...(o.artifact ? { artifact: o.artifact } : {}),
    trustedRoot() {
      // The contract: the embedded public-good root unless the caller names another.
      return (root ??= (o.trustedRoot ?? publicGoodTrustedRoot)());
    },
  };
}
