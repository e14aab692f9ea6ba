// The identity of a schema for the precompiled validators: sha256 of its JSON with keys in source order.
import { sha256Hex } from "./digest.ts";

export function schemaHash(schema: object): string {
  return sha256Hex(JSON.stringify(schema));
}
