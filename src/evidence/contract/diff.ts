// Backward-compatibility check between two versions of a data contract (the data analogue of a policy
// gate, seed 003 I5): an event valid under OLD must stay valid under NEW, and nothing a consumer reads may
// disappear. Breaking: a removed field or schema object, a field newly required, a type narrowed (number →
// integer, a free value → an enum, a bound tightened, a pattern added), an enum narrowed. Compatible:
// an added optional field or object, a field no longer required, a type or enum widened, a bound relaxed.
// Within one JSON type the declared widths are compared too (DCS `long` → `int`, ODCS `VARCHAR(255)` →
// `VARCHAR(50)`); a physical type tollgate cannot place that changes is breaking (fail closed).
import type { ContractObject, DataContract, EnumValue, FieldSpec } from "./model.ts";
import { relate, widest, type TypeWidth } from "./width.ts";

export type ChangeKind =
  | "object_removed" | "object_added"
  | "field_removed" | "field_added" | "field_added_required"
  | "newly_required" | "no_longer_required"
  | "type_changed" | "type_narrowed" | "type_widened"
  | "enum_narrowed" | "enum_widened"
  | "constraint_narrowed" | "constraint_relaxed"
  | "closed" | "opened";

export interface ContractChange {
  /** `<object>.<field>[.<nested>…]`, `[]` for array items: the same path in both versions. */
  path: string;
  change: ChangeKind;
  breaking: boolean;
  /** One sentence naming what changed, with the old and new values. */
  message: string;
  old?: unknown;
  new?: unknown;
}

export interface ContractDiff {
  breaking: boolean;
  changes: ContractChange[];
  old: { path: string; id: string | null; version: string | null };
  new: { path: string; id: string | null; version: string | null };
}

export function diffContracts(oldC: DataContract, newC: DataContract): ContractDiff {
  const changes: ContractChange[] = [];
  const newByName = new Map(newC.objects.map((o) => [o.name, o]));
  for (const o of oldC.objects) {
    const n = newByName.get(o.name);
    if (!n) changes.push(change(o.name, "object_removed", true, `schema object ${o.name} was removed`));
    else diffObject(o, n, changes);
  }
  const oldNames = new Set(oldC.objects.map((o) => o.name));
  for (const n of newC.objects) if (!oldNames.has(n.name)) changes.push(change(n.name, "object_added", false, `schema object ${n.name} was added`));
  return {
    breaking: changes.some((c) => c.breaking),
    changes,
    old: { path: oldC.path, id: oldC.id, version: oldC.version },
    new: { path: newC.path, id: newC.id, version: newC.version },
  };
}

function change(path: string, kind: ChangeKind, breaking: boolean, message: string, oldV?: unknown, newV?: unknown): ContractChange {
  return { path, change: kind, breaking, message, ...(oldV !== undefined ? { old: oldV } : {}), ...(newV !== undefined ? { new: newV } : {}) };
}

function diffObject(o: ContractObject, n: ContractObject, out: ContractChange[]): void {
  diffClosed(o.name, o.closed, n.closed, out);
  diffFields(o.name, o.fields, n.fields, out);
}

function diffClosed(path: string, oldClosed: boolean, newClosed: boolean, out: ContractChange[]): void {
  if (!oldClosed && newClosed) out.push(change(path, "closed", true, `${path} no longer allows undeclared fields`));
  if (oldClosed && !newClosed) out.push(change(path, "opened", false, `${path} now allows undeclared fields`));
}

function diffFields(at: string, oldFields: readonly FieldSpec[], newFields: readonly FieldSpec[], out: ContractChange[]): void {
  const newByName = new Map(newFields.map((f) => [f.name, f]));
  for (const f of oldFields) {
    const path = `${at}.${f.name}`;
    const n = newByName.get(f.name);
    if (!n) out.push(change(path, "field_removed", true, `field ${path} was removed${f.required ? " (it was required)" : ""}`));
    else diffField(path, f, n, out);
  }
  const oldNames = new Set(oldFields.map((f) => f.name));
  for (const n of newFields) {
    if (oldNames.has(n.name)) continue;
    const path = `${at}.${n.name}`;
    if (n.required) out.push(change(path, "field_added_required", true, `field ${path} was added as required: events without it are now invalid`));
    else out.push(change(path, "field_added", false, `optional field ${path} was added`));
  }
}

const typeLabel = (f: FieldSpec): string => f.declaredType ?? f.type ?? "any";

function diffField(path: string, o: FieldSpec, n: FieldSpec, out: ContractChange[]): void {
  if (!o.required && n.required) out.push(change(path, "newly_required", true, `field ${path} is newly required`, false, true));
  if (o.required && !n.required) out.push(change(path, "no_longer_required", false, `field ${path} is no longer required`, true, false));

  // Types: integer ⊂ number; an untyped field accepts anything.
  if (o.type !== n.type) {
    if (n.type === undefined) out.push(change(path, "type_widened", false, `${path} type widened from ${typeLabel(o)} to any`, typeLabel(o), "any"));
    else if (o.type === undefined) out.push(change(path, "type_narrowed", true, `${path} type narrowed from any to ${typeLabel(n)}`, "any", typeLabel(n)));
    else if (o.type === "number" && n.type === "integer") out.push(change(path, "type_narrowed", true, `${path} type narrowed from ${typeLabel(o)} to ${typeLabel(n)}`, typeLabel(o), typeLabel(n)));
    else if (o.type === "integer" && n.type === "number") out.push(change(path, "type_widened", false, `${path} type widened from ${typeLabel(o)} to ${typeLabel(n)}`, typeLabel(o), typeLabel(n)));
    else out.push(change(path, "type_changed", true, `${path} type changed from ${typeLabel(o)} to ${typeLabel(n)}`, typeLabel(o), typeLabel(n)));
  }

  if (o.type === n.type) diffWidths(path, o, n, out);

  diffEnum(path, o.enum, n.enum, out);

  // Upper bounds tightened / lower bounds raised narrow the type.
  for (const k of ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"] as const) bound(path, k, o[k], n[k], "upper", out);
  for (const k of ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"] as const) bound(path, k, o[k], n[k], "lower", out);

  for (const k of ["pattern", "format", "multipleOf"] as const) {
    if (o[k] === n[k]) continue;
    if (n[k] === undefined) out.push(change(path, "constraint_relaxed", false, `${path} ${k} ${JSON.stringify(o[k])} was removed`, o[k]));
    else out.push(change(path, "constraint_narrowed", true,
      o[k] === undefined ? `${path} ${k} ${JSON.stringify(n[k])} was added` : `${path} ${k} changed from ${JSON.stringify(o[k])} to ${JSON.stringify(n[k])}`,
      o[k], n[k]));
  }
  if (!o.uniqueItems && n.uniqueItems) out.push(change(path, "constraint_narrowed", true, `${path} items must now be unique`, false, true));
  if (o.uniqueItems && !n.uniqueItems) out.push(change(path, "constraint_relaxed", false, `${path} items no longer need to be unique`, true, false));

  if (o.properties || n.properties) {
    diffClosed(path, o.closed === true, n.closed === true, out);
    diffFields(path, o.properties ?? [], n.properties ?? [], out);
  }
  if (o.items && n.items) diffField(`${path}[]`, o.items, n.items, out);
  else if (!o.items && n.items) diffField(`${path}[]`, { name: "[]", location: "", required: false }, n.items, out);
}

function diffEnum(path: string, o: EnumValue[] | undefined, n: EnumValue[] | undefined, out: ContractChange[]): void {
  if (!o && !n) return;
  if (!o && n) {
    out.push(change(path, "enum_narrowed", true, `${path} is now restricted to ${fmt(n)}`, undefined, n));
    return;
  }
  if (o && !n) {
    out.push(change(path, "enum_widened", false, `${path} is no longer restricted to ${fmt(o)}`, o, undefined));
    return;
  }
  const removed = o!.filter((v) => !n!.includes(v));
  const added = n!.filter((v) => !o!.includes(v));
  if (removed.length) out.push(change(path, "enum_narrowed", true, `${path} enum no longer allows ${fmt(removed)}`, o, n));
  if (added.length) out.push(change(path, "enum_widened", false, `${path} enum now also allows ${fmt(added)}`, o, n));
}

const fmt = (values: readonly EnumValue[]): string => values.map((v) => JSON.stringify(v)).join(", ");

function bound(path: string, key: string, o: number | undefined, n: number | undefined, side: "upper" | "lower", out: ContractChange[]): void {
  if (o === n) return;
  const tighter = n !== undefined && (o === undefined || (side === "upper" ? n < o : n > o));
  if (tighter) {
    out.push(change(path, "constraint_narrowed", true,
      o === undefined ? `${path} ${key} ${n} was added` : `${path} ${key} ${side === "upper" ? "reduced" : "raised"} from ${o} to ${n}`, o, n));
  } else {
    out.push(change(path, "constraint_relaxed", false,
      n === undefined ? `${path} ${key} ${o} was removed` : `${path} ${key} ${side === "upper" ? "raised" : "reduced"} from ${o} to ${n}`, o, n));
  }
}

/** The declared width, or the whole JSON type when the contract declares nothing narrower. */
function logicalWidth(f: FieldSpec): TypeWidth | undefined {
  if (f.width) return f.width;
  const d = widest(f.type);
  return d ? { detail: d, label: typeLabel(f) } : undefined;
}

function diffWidths(path: string, o: FieldSpec, n: FieldSpec, out: ContractChange[]): void {
  if (o.width || n.width) width(path, "type", logicalWidth(o), logicalWidth(n), out);
  if (o.physicalWidth || n.physicalWidth) {
    // No physicalType on one side: that side is held to its logical type only.
    const side = (f: FieldSpec): TypeWidth | undefined => {
      if (f.physicalWidth) return f.physicalWidth;
      const l = logicalWidth(f);
      return l ? { detail: l.detail, label: `none (${l.label})` } : undefined;
    };
    width(path, "physicalType", side(o), side(n), out);
  } else if (o.type === undefined && typeLabel(o) !== typeLabel(n)) {
    // Neither a JSON type nor a physical type tollgate can place (a DCS or ODCS type it does not know).
    out.push(change(path, "type_changed", true,
      `${path} type changed from ${typeLabel(o)} to ${typeLabel(n)} (unknown compatibility: treated as breaking)`, typeLabel(o), typeLabel(n)));
  }
}

function width(path: string, what: "type" | "physicalType", o: TypeWidth | undefined, n: TypeWidth | undefined, out: ContractChange[]): void {
  const oldLabel = o?.label ?? "none";
  const newLabel = n?.label ?? "none";
  const rel = o && n ? relate(o.detail, n.detail) : "unknown";
  if (rel === "same") return;
  if (rel === "narrower") out.push(change(path, "type_narrowed", true, `${path} ${what} narrowed from ${oldLabel} to ${newLabel}`, oldLabel, newLabel));
  else if (rel === "wider") out.push(change(path, "type_widened", false, `${path} ${what} widened from ${oldLabel} to ${newLabel}`, oldLabel, newLabel));
  else out.push(change(path, "type_changed", true,
    `${path} ${what} changed from ${oldLabel} to ${newLabel} (unknown compatibility: treated as breaking)`, oldLabel, newLabel));
}
