// CycloneDX XML as conftest reads it (parser/cyclonedx): Go's encoding/xml decodes the BOM into cyclonedx-go's
// BOM struct, and encoding/json marshals that struct; the policy gets that JSON. So the document is not the
// spec's JSON form of the BOM but cyclonedx-go's: "bomFormat": "" and "specVersion": "SpecVersion(0)" (the XML
// fields are json-only), legacy <tools><tool> as a list, every <hashes/> wrapper with nothing in it dropped,
// BOMReference elements read from their ref attribute, and so on.
//
// No JavaScript library decodes CycloneDX XML at all, and cyclonedx-go's shape is Go's, so this interprets
// Go's rules over the library's own type table (cyclonedx-go-types.generated.ts, read from cyclonedx-go
// v0.11.0 by reflection, scripts/cyclonedx-go-types): encoding/xml's field matching (attributes, chardata,
// `a>b` paths, first match wins, unknown elements skipped, Go's integer/bool/float syntax), encoding/json's
// (tag names, omitempty, nil pointers and slices as null), and ports of the library's own UnmarshalXML and
// MarshalJSON methods for the types that have them. Tokens come from saxes.
import { SaxesParser } from "saxes";
import { CYCLONEDX_GO_TYPES, type GoField, type GoType } from "./cyclonedx-go-types.generated.ts";

/** A decode or marshal error as Go reports it. */
export class GoError extends Error {}

interface El {
  name: string;
  attrs: { name: string; value: string }[];
  kids: (El | string)[];
}

/** A non-nil Go pointer (nil is undefined). */
class Ptr {
  constructor(readonly v: unknown) {}
}

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// Tokens: the first element of the document, as Go's Decoder.Decode reads it (what follows is never read).

/** Go's xml.Name.Local of a qualified name: after the first colon when both sides are non-empty. */
function local(q: string): string {
  const i = q.indexOf(":");
  return i >= 1 && i < q.length - 1 ? q.slice(i + 1) : q;
}

function readRoot(src: string): El {
  const p = new SaxesParser({ xmlns: false, position: true });
  const stack: El[] = [];
  let root: El | undefined;
  let done = false;
  let failure: string | undefined;
  p.on("error", (e) => {
    if (!done && failure === undefined) failure = e.message.replace(/^undefined:/, "line ");
  });
  p.on("opentag", (t) => {
    if (done) return;
    const el: El = { name: local(t.name), attrs: Object.entries(t.attributes as Record<string, string>).map(([name, value]) => ({ name: local(name), value })), kids: [] };
    if (stack.length) stack[stack.length - 1]!.kids.push(el);
    else root = el;
    stack.push(el);
  });
  const chars = (s: string) => {
    if (!done && stack.length) stack[stack.length - 1]!.kids.push(s);
  };
  p.on("text", chars);
  p.on("cdata", chars);
  p.on("closetag", () => {
    if (done) return;
    stack.pop();
    if (stack.length === 0) done = true;
  });
  p.write(src).close();
  if (failure !== undefined) throw new GoError(failure);
  if (!root || !done) throw new GoError("XML syntax error: unexpected EOF");
  return root;
}

const elements = (el: El) => el.kids.filter((k): k is El => typeof k !== "string");
/** The character data directly inside an element (a nested element's is skipped, as Go's decoder does). */
const directText = (el: El) => el.kids.filter((k): k is string => typeof k === "string").join("");
const attr = (el: El, name: string) => {
  let v: string | undefined;
  for (const a of el.attrs) if (a.name === name) v = a.value; // every matching attribute sets it: the last wins
  return v;
};

// ---------------------------------------------------------------------------------------------------------
// The type table, with the helper structs cyclonedx-go's own UnmarshalXML methods decode into.

const f = (name: string, type: string, xml: string): GoField => ({ name, type, xml, hasXml: true });
const HELPERS: Record<string, GoType> = {
  dependencyXML: { kind: "struct", fields: [f("Ref", "string", "ref,attr"), f("Dependencies", "*[]dependencyXML", "dependency,omitempty"), f("Provides", "*[]dependencyXML", "provides,omitempty")] },
  "*[]dependencyXML": { kind: "ptr", elem: "[]dependencyXML" },
  "[]dependencyXML": { kind: "slice", elem: "dependencyXML" },
  licenseExpressionXML: { kind: "struct", fields: [f("Expression", "string", ",chardata"), f("Acknowledgement", "string", "acknowledgement,attr,omitempty"), f("BOMRef", "string", "bom-ref,attr,omitempty")] },
  licenseExpressionDetailedXML: {
    kind: "struct",
    fields: [f("Expression", "string", "expression,attr"), f("Acknowledgement", "string", "acknowledgement,attr,omitempty"), f("BOMRef", "string", "bom-ref,attr,omitempty"), f("Details", "[]licenseExpressionDetailXML", "details")],
  },
  "[]licenseExpressionDetailXML": { kind: "slice", elem: "licenseExpressionDetailXML" },
  licenseExpressionDetailXML: { kind: "struct", fields: [f("LicenseIdentifier", "string", "license-identifier,attr"), f("Text", "*AttachedText", "text,omitempty"), f("URL", "string", "url,omitempty")] },
  mlDatasetChoiceRef: { kind: "struct", fields: [f("Ref", "string", "ref")] },
  certificateStateRaw: { kind: "struct", fields: [f("State", "string", "state"), f("Name", "string", "name"), f("Description", "string", "description"), f("Reason", "string", "reason")] },
  certificateExtensionRaw: {
    kind: "struct",
    fields: [f("CommonExtensionName", "string", "commonExtensionName"), f("CommonExtensionValue", "string", "commonExtensionValue"), f("CustomExtensionName", "string", "customExtensionName"), f("CustomExtensionValue", "string", "customExtensionValue")],
  },
  asserterChoiceRaw: { kind: "struct", fields: [f("Organization", "*OrganizationalEntity", "organization"), f("Individual", "*OrganizationalContact", "contact"), f("BOMRef", "*BOMReference", "ref")] },
  ikev2AuthRaw: { kind: "struct", fields: [f("Content", "string", ",chardata"), f("Name", "string", "name"), f("Algorithm", "string", "algorithm")] },
  ikev2EncRaw: { kind: "struct", fields: [f("Content", "string", ",chardata"), f("Name", "string", "name"), f("KeyLength", "*int", "keyLength"), f("Algorithm", "string", "algorithm")] },
  ikev2KeRaw: { kind: "struct", fields: [f("Content", "string", ",chardata"), f("Group", "*int", "group"), f("Algorithm", "string", "algorithm")] },
  toolsChoiceUnmarshalXML: { kind: "struct", fields: [f("Components", "*[]Component", "component,omitempty"), f("Services", "*[]Service", "service,omitempty")] },
  evidenceUnmarshalXML: { kind: "struct", fields: [f("Occurrences", "*[]EvidenceOccurrence", "occurrence,omitempty"), f("Copyright", "*[]Copyright", "text,omitempty")] },
  "*[]Tool": CYCLONEDX_GO_TYPES["*[]Tool"] ?? { kind: "ptr", elem: "[]Tool" },
  "[]Tool": CYCLONEDX_GO_TYPES["[]Tool"] ?? { kind: "slice", elem: "Tool" },
};

function typeOf(name: string): GoType {
  const t = CYCLONEDX_GO_TYPES[name] ?? HELPERS[name];
  if (!t) throw new Error(`cyclonedx-go type table has no ${name}`);
  return t;
}

interface FieldInfo {
  go: string;
  type: string;
  mode: "element" | "attr" | "chardata";
  name: string;
  parents: string[];
}

const infoCache = new Map<string, FieldInfo[]>();

/** encoding/xml's typeinfo for a struct: the fields it matches, in declaration order. */
function xmlFields(type: string): FieldInfo[] {
  const cached = infoCache.get(type);
  if (cached) return cached;
  const out: FieldInfo[] = [];
  for (const fd of typeOf(type).fields ?? []) {
    if (fd.type === "encoding/xml.Name") continue; // XMLName: the element's own name, checked in decodeStruct
    const tag = fd.hasXml ? (fd.xml ?? "") : "";
    if (tag === "-") continue;
    const [name0, ...flags] = tag.split(",");
    const name = name0!.includes(" ") ? name0!.slice(name0!.lastIndexOf(" ") + 1) : name0!;
    if (flags.includes("attr")) out.push({ go: fd.name, type: fd.type, mode: "attr", name: name || fd.name, parents: [] });
    else if (flags.includes("chardata")) out.push({ go: fd.name, type: fd.type, mode: "chardata", name: "", parents: [] });
    else if (name === "") out.push({ go: fd.name, type: fd.type, mode: "element", name: fd.name, parents: [] });
    else {
      const parts = name.split(">");
      if (parts[0] === "") parts[0] = fd.name;
      out.push({ go: fd.name, type: fd.type, mode: "element", name: parts[parts.length - 1]!, parents: parts.slice(0, -1) });
    }
  }
  infoCache.set(type, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// encoding/xml

const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
const goTrim = (s: string) => s.replace(GO_SPACE, "");

function parseInt64(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new GoError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) throw new GoError(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(b);
}

function parseFloat64(s: string, bits: 32 | 64): number {
  let v: number;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    v = Number(s);
    if (!Number.isFinite(v)) throw new GoError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
  } else if (/^[+-]?(inf|infinity)$/i.test(s)) v = s.startsWith("-") ? -Infinity : Infinity;
  else if (/^nan$/i.test(s)) v = NaN;
  else throw new GoError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (bits === 32) {
    const r = Math.fround(v);
    if (Number.isFinite(v) && !Number.isFinite(r)) throw new GoError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
    return r;
  }
  return v;
}

const BOOLS: Record<string, boolean> = { "1": true, t: true, T: true, TRUE: true, true: true, True: true, "0": false, f: false, F: false, FALSE: false, false: false, False: false };

/** encoding/xml's copyValue: an attribute's or element's text into a scalar. */
function copyValue(kind: string, src: string): unknown {
  switch (kind) {
    case "string":
      return src;
    case "int":
      return src.length === 0 ? 0 : parseInt64(goTrim(src));
    case "float64":
    case "float32":
      return src.length === 0 ? 0 : parseFloat64(goTrim(src), kind === "float32" ? 32 : 64);
    case "bool": {
      if (src.length === 0) return false;
      const v = BOOLS[goTrim(src)];
      if (v === undefined) throw new GoError(`strconv.ParseBool: parsing ${JSON.stringify(goTrim(src))}: invalid syntax`);
      return v;
    }
  }
  throw new GoError(`cannot unmarshal into ${kind}`);
}

function decodeAttr(type: string, cur: unknown, value: string): unknown {
  const t = typeOf(type);
  if (t.kind === "ptr") return new Ptr(decodeAttr(t.elem!, cur instanceof Ptr ? cur.v : undefined, value));
  if (t.kind === "slice") return [...((cur as unknown[] | undefined) ?? []), decodeAttr(t.elem!, undefined, value)];
  return copyValue(t.kind, value);
}

/** Decode `el` into a value of `type` whose current value is `cur` (Go decodes into what is there). */
function decode(type: string, cur: unknown, el: El): unknown {
  const custom = UNMARSHAL_XML[type];
  if (custom) return custom(cur, el);
  const t = typeOf(type);
  switch (t.kind) {
    case "ptr":
      return new Ptr(decode(t.elem!, cur instanceof Ptr ? cur.v : undefined, el));
    case "slice":
      return [...((cur as unknown[] | undefined) ?? []), decode(t.elem!, undefined, el)];
    case "struct":
      return decodeStruct(type, (cur as Obj | undefined) ?? {}, el);
    default:
      return copyValue(t.kind, directText(el));
  }
}

function decodeStruct(type: string, cur: Obj, el: El): Obj {
  const o: Obj = { ...cur };
  if (type === "BOM" && el.name !== "bom") throw new GoError(`expected element type <bom> but have <${el.name}>`);
  const fields = xmlFields(type);
  for (const a of el.attrs) {
    for (const fi of fields) if (fi.mode === "attr" && fi.name === a.name) o[fi.go] = decodeAttr(fi.type, o[fi.go], a.value);
  }
  const chardata = fields.find((fi) => fi.mode === "chardata");
  let data = "";
  for (const k of el.kids) {
    if (typeof k === "string") data += k;
    else unmarshalPath(fields, o, [], k);
  }
  if (chardata) o[chardata.go] = copyValue(typeOf(chardata.type).kind, data);
  return o;
}

/** encoding/xml's unmarshalPath: the first field whose path matches takes the element; a path prefix recurses. */
function unmarshalPath(fields: FieldInfo[], o: Obj, parents: string[], el: El): boolean {
  let next: string[] | undefined;
  for (const fi of fields) {
    if (fi.mode !== "element" || fi.parents.length < parents.length) continue;
    if (parents.some((p, j) => fi.parents[j] !== p)) continue;
    if (fi.parents.length === parents.length && fi.name === el.name) {
      o[fi.go] = decode(fi.type, o[fi.go], el);
      return true;
    }
    if (fi.parents.length > parents.length && fi.parents[parents.length] === el.name) {
      next = fi.parents.slice(0, parents.length + 1);
      break;
    }
  }
  if (!next) return false;
  for (const k of elements(el)) unmarshalPath(fields, o, next, k);
  return true;
}

const isZero = (v: unknown) => v === undefined || v === "" || v === 0 || v === false;
const zeroStruct = (o: Obj) => Object.values(o).every(isZero);
const ptrList = (v: unknown) => (v instanceof Ptr ? (v.v as unknown[]) : undefined);

// cyclonedx-go's UnmarshalXML methods (cyclonedx_xml.go), over the same rules.
const UNMARSHAL_XML: Record<string, (cur: unknown, el: El) => unknown> = {
  BOMReference: (_cur, el) => attr(el, "ref") ?? "",
  Copyright: (_cur, el) => ({ Text: directText(el) }),
  Dependency: (_cur, el) => {
    const x = decodeStruct("dependencyXML", {}, el);
    const dep: Obj = { Ref: x.Ref ?? "" };
    const deps = ptrList(x.Dependencies);
    if (deps?.length) dep.Dependencies = new Ptr(deps.map((d) => (d as Obj).Ref ?? ""));
    const prov = ptrList(x.Provides);
    if (prov?.length) dep.Provides = new Ptr(prov.map((d) => (d as Obj).Ref ?? ""));
    return dep;
  },
  EnvironmentVariables: (_cur, el) =>
    elements(el).map((k) => {
      if (k.name === "value") return { Value: directText(k) };
      if (k.name === "environmentVar") return { Property: new Ptr(decode("Property", undefined, k)) };
      throw new GoError(`unknown element: ${k.name}`);
    }),
  Licenses: (_cur, el) =>
    elements(el).map((k) => {
      if (k.name === "expression" || k.name === "expression-detailed") {
        const x = decodeStruct(k.name === "expression" ? "licenseExpressionXML" : "licenseExpressionDetailedXML", {}, k);
        const choice: Obj = { Expression: x.Expression ?? "", BOMRef: x.BOMRef ?? "" };
        if (x.Acknowledgement) choice.Acknowledgement = new Ptr(x.Acknowledgement);
        const details = x.Details as Obj[] | undefined;
        if (details?.length) choice.ExpressionDetails = new Ptr(details.map((d) => ({ LicenseIdentifier: d.LicenseIdentifier ?? "", Text: d.Text, URL: d.URL ?? "" })));
        return choice;
      }
      if (k.name === "license") return { License: new Ptr(decode("License", undefined, k)) };
      throw new GoError(`unknown element: ${k.name}`);
    }),
  MLDatasetChoice: (cur, el) => {
    const dc: Obj = { ...((cur as Obj | undefined) ?? {}) };
    const ref = decodeStruct("mlDatasetChoiceRef", {}, el).Ref as string | undefined;
    if (ref) {
      dc.Ref = ref;
      return dc;
    }
    const cd = decodeStruct("ComponentData", {}, el);
    if (!zeroStruct(cd)) dc.ComponentData = new Ptr(cd);
    return dc;
  },
  SpecVersion: (_cur, el) => {
    const i = ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"].indexOf(directText(el));
    if (i < 0) throw new GoError("invalid specification version");
    return i + 1;
  },
  CertificateState: (cur, el) => {
    const r = decodeStruct("certificateStateRaw", {}, el);
    const cs: Obj = { ...((cur as Obj | undefined) ?? {}) };
    if (r.State) cs.Predefined = new Ptr({ State: r.State, Reason: r.Reason ?? "" });
    else cs.Custom = new Ptr({ Name: r.Name ?? "", Description: r.Description ?? "", Reason: r.Reason ?? "" });
    return cs;
  },
  CertificateExtension: (cur, el) => {
    const r = decodeStruct("certificateExtensionRaw", {}, el);
    const ce: Obj = { ...((cur as Obj | undefined) ?? {}) };
    if (r.CommonExtensionName) ce.Common = new Ptr({ Name: r.CommonExtensionName, Value: r.CommonExtensionValue ?? "" });
    else ce.Custom = new Ptr({ Name: r.CustomExtensionName ?? "", Value: r.CustomExtensionValue ?? "" });
    return ce;
  },
  AsserterChoice: (cur, el) => {
    const r = decodeStruct("asserterChoiceRaw", {}, el);
    return { ...((cur as Obj | undefined) ?? {}), Organization: r.Organization, Individual: r.Individual, BOMRef: r.BOMRef };
  },
  IKEv2Auth: (cur, el) => ikev2(cur, decodeStruct("ikev2AuthRaw", {}, el), ["Name", "Algorithm"]),
  IKEv2Enc: (cur, el) => ikev2(cur, decodeStruct("ikev2EncRaw", {}, el), ["Name", "KeyLength", "Algorithm"]),
  IKEv2Integ: (cur, el) => ikev2(cur, decodeStruct("ikev2AuthRaw", {}, el), ["Name", "Algorithm"]),
  IKEv2Ke: (cur, el) => ikev2(cur, decodeStruct("ikev2KeRaw", {}, el), ["Group", "Algorithm"]),
  IKEv2Prf: (cur, el) => ikev2(cur, decodeStruct("ikev2AuthRaw", {}, el), ["Name", "Algorithm"]),
  ToolsChoice: (cur, el) => {
    let components: unknown[] = [];
    let services: unknown[] = [];
    const legacy: unknown[] = [];
    for (const k of elements(el)) {
      if (k.name === "tool") legacy.push(decode("Tool", undefined, k));
      else if (k.name === "components") {
        const x = ptrList(decodeStruct("toolsChoiceUnmarshalXML", {}, k).Components);
        if (x) components = x;
      } else if (k.name === "services") {
        const x = ptrList(decodeStruct("toolsChoiceUnmarshalXML", {}, k).Services);
        if (x) services = x;
      } else throw new GoError(`unknown element: ${k.name}`);
    }
    if (legacy.length && (components.length || services.length)) throw new GoError("either a list of tools, or an object holding components and services can be used, but not both");
    const choice: Obj = {};
    if (components.length) choice.Components = new Ptr(components);
    if (services.length) choice.Services = new Ptr(services);
    if (legacy.length) choice.Tools = new Ptr(legacy);
    return Object.keys(choice).length ? choice : cur;
  },
  Evidence: (_cur, el) => {
    const ev: Obj = {};
    const identities: unknown[] = [];
    for (const k of elements(el)) {
      if (k.name === "identity") identities.push(decode("EvidenceIdentity", undefined, k));
      else if (k.name === "occurrences") {
        const x = decodeStruct("evidenceUnmarshalXML", {}, k).Occurrences;
        if (x !== undefined) ev.Occurrences = x;
      } else if (k.name === "callstack") {
        const cs = decodeStruct("Callstack", {}, k);
        if (cs.Frames !== undefined) ev.Callstack = new Ptr(cs);
      } else if (k.name === "licenses") {
        const l = UNMARSHAL_XML.Licenses!(undefined, k) as unknown[];
        if (l.length) ev.Licenses = new Ptr(l);
      } else if (k.name === "copyright") {
        const x = decodeStruct("evidenceUnmarshalXML", {}, k).Copyright;
        if (x !== undefined) ev.Copyright = x;
      } else throw new GoError(`unknown element: ${k.name}`);
    }
    if (identities.length) ev.Identity = new Ptr({ Identities: new Ptr(identities) });
    return ev;
  },
  DataClassification: (cur, el) => {
    const dc: Obj = { ...((cur as Obj | undefined) ?? {}) };
    for (const a of el.attrs) {
      if (a.name === "name") dc.Name = a.value;
      else if (a.name === "description") dc.Description = a.value;
    }
    const urls = (e: El): string[] => elements(e).flatMap((k) => (k.name === "url" ? [directText(k)] : urls(k)));
    // The method reads tokens: an element it does not know is not skipped, so what is inside it is read too.
    const walk = (e: El) => {
      for (const k of elements(e)) {
        if (k.name === "classification") {
          const flow = attr(k, "flow");
          if (flow !== undefined) dc.Flow = flow;
          dc.Classification = directText(k);
        } else if (k.name === "governance") dc.Governance = new Ptr(decode("DataGovernance", undefined, k));
        else if (k.name === "source" || k.name === "destination") {
          const u = urls(k);
          if (u.length) dc[k.name === "source" ? "Source" : "Destination"] = new Ptr(u);
        } else walk(k);
      }
    };
    walk(el);
    return dc;
  },
  Definitions: (cur, el) => {
    const d: Obj = { ...((cur as Obj | undefined) ?? {}) };
    for (const k of elements(el)) {
      if (k.name === "standards") {
        const standards = elements(k).map((s) => {
          if (s.name !== "standard") throw new GoError("xml: cyclonedx.Definitions.UnmarshalXML did not consume entire <definitions> element");
          return decode("StandardDefinition", undefined, s);
        });
        if (standards.length) d.Standards = new Ptr(standards);
      } else if (k.name === "patents") {
        const choices = elements(k).map((p) => {
          if (p.name === "patent") return { Patent: new Ptr(decode("Patent", undefined, p)) };
          if (p.name === "patentFamily") return { PatentFamily: new Ptr(decode("PatentFamily", undefined, p)) };
          throw new GoError("xml: cyclonedx.Definitions.UnmarshalXML did not consume entire <definitions> element");
        });
        if (choices.length) d.Patents = new Ptr(choices);
      }
    }
    return d;
  },
};

function ikev2(cur: unknown, raw: Obj, keys: string[]): Obj {
  const v: Obj = { ...((cur as Obj | undefined) ?? {}) };
  const content = goTrim((raw.Content as string | undefined) ?? "");
  if (content !== "" && keys.every((k) => raw[k] === undefined || raw[k] === "")) v.BOMRef = content;
  else for (const k of keys) v[k] = raw[k];
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// encoding/json

/** A float32 as Go's encoding/json writes it (the shortest decimal that reads back as the same float32), read as a float64. */
function float32JSON(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

function isEmpty(type: string, v: unknown): boolean {
  const kind = typeOf(type).kind;
  if (kind === "ptr") return v === undefined;
  if (kind === "slice") return v === undefined || (v as unknown[]).length === 0;
  if (kind === "struct") return false;
  return isZero(v);
}

function marshalStruct(type: string, o: Obj | undefined): Obj {
  const out: Obj = {};
  for (const fd of typeOf(type).fields ?? []) {
    const tag = fd.hasJson ? (fd.json ?? "") : "";
    if (tag === "-") continue;
    const [name, ...opts] = tag.split(",");
    const v = o?.[fd.name];
    if (opts.includes("omitempty") && isEmpty(fd.type, v)) continue;
    out[name || fd.name] = marshal(fd.type, v);
  }
  return out;
}

/** The JSON value encoding/json writes for a Go value of `type`. */
function marshal(type: string, v: unknown): unknown {
  const t = typeOf(type);
  if (t.kind === "ptr") return v === undefined ? null : marshal(t.elem!, (v as Ptr).v);
  const custom = MARSHAL_JSON[type];
  if (custom) return custom(v);
  switch (t.kind) {
    case "slice":
      return v === undefined ? null : (v as unknown[]).map((x) => marshal(t.elem!, x));
    case "struct":
      return marshalStruct(type, v as Obj | undefined);
    case "string":
      return v ?? "";
    case "bool":
      return v ?? false;
    case "int":
      return v ?? 0;
    case "float32":
    case "float64": {
      const n = (v as number | undefined) ?? 0;
      if (!Number.isFinite(n)) throw new GoError(`json: unsupported value: ${String(n).replace("Infinity", "+Inf")}`);
      return t.kind === "float32" ? float32JSON(n) : n;
    }
  }
  throw new Error(`cannot marshal ${type}`);
}

const val = (v: unknown) => (v as Obj | undefined) ?? {};
const set = (v: unknown) => v !== undefined;

// cyclonedx-go's MarshalJSON methods (cyclonedx_json.go).
const MARSHAL_JSON: Record<string, (v: unknown) => unknown> = {
  SpecVersion: (v) => {
    const n = (v as number | undefined) ?? 0;
    return n >= 1 && n <= 8 ? ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"][n - 1] : `SpecVersion(${n})`;
  },
  ToolsChoice: (v) => {
    const tc = val(v);
    if (set(tc.Tools) && (set(tc.Components) || set(tc.Services))) throw new GoError("json: error calling MarshalJSON for type *cyclonedx.ToolsChoice: either a list of tools, or an object holding components and services can be used, but not both");
    if (set(tc.Tools)) return marshal("*[]Tool", tc.Tools);
    if (set(tc.Components) || set(tc.Services)) {
      const out: Obj = {};
      if (ptrList(tc.Components)) out.components = marshal("*[]Component", tc.Components);
      if (ptrList(tc.Services)) out.services = marshal("*[]Service", tc.Services);
      return out;
    }
    throw new GoError("json: error calling MarshalJSON for type *cyclonedx.ToolsChoice: unexpected end of JSON input");
  },
  EvidenceIdentityChoice: (v) => {
    const c = val(v);
    if (set(c.Identity) && set(c.Identities)) throw new GoError("either a single identity or an array of identities can be used, but not both");
    if (set(c.Identity)) return marshal("*EvidenceIdentity", c.Identity);
    if (set(c.Identities)) return marshal("*[]EvidenceIdentity", c.Identities);
    return null;
  },
  License: (v) => {
    const l = val(v);
    if (l.ID && l.Name) throw new GoError("json: error calling MarshalJSON for type *cyclonedx.License: license must have either id or name, not both");
    if (!l.ID && !l.Name) throw new GoError("json: error calling MarshalJSON for type *cyclonedx.License: license must have either id or name");
    return marshalStruct("License", l);
  },
  EnvironmentVariableChoice: (v) => {
    const ev = val(v);
    if (ev.Property instanceof Ptr && !zeroStruct(val(ev.Property.v))) return marshal("*Property", ev.Property);
    if (ev.Value) return ev.Value;
    return {};
  },
  MLDatasetChoice: (v) => {
    const dc = val(v);
    if (dc.Ref) return { ref: dc.Ref };
    if (set(dc.ComponentData)) return marshal("*ComponentData", dc.ComponentData);
    return {};
  },
  CertificateState: (v) => {
    const cs = val(v);
    if (set(cs.Predefined) && set(cs.Custom)) throw new GoError("either a predefined or custom certificate state can be used, but not both");
    if (set(cs.Predefined)) return marshal("*PredefinedCertificateState", cs.Predefined);
    if (set(cs.Custom)) return marshal("*CustomCertificateState", cs.Custom);
    return {};
  },
  CertificateExtension: (v) => {
    const ce = val(v);
    if (set(ce.Common) && set(ce.Custom)) throw new GoError("either a common or custom certificate extension can be used, but not both");
    if (set(ce.Common)) return marshal("*CommonCertificateExtension", ce.Common);
    if (set(ce.Custom)) return marshal("*CustomCertificateExtension", ce.Custom);
    return {};
  },
  AsserterChoice: (v) => {
    const ac = val(v);
    if (set(ac.Organization)) return { organization: marshal("*OrganizationalEntity", ac.Organization) };
    if (set(ac.Individual)) return { individual: marshal("*OrganizationalContact", ac.Individual) };
    if (set(ac.BOMRef)) return { ref: marshal("*BOMReference", ac.BOMRef) };
    return {};
  },
  IKEv2Auth: (v) => (val(v).BOMRef ? val(v).BOMRef : marshalStruct("IKEv2Auth", val(v))),
  IKEv2Enc: (v) => (val(v).BOMRef ? val(v).BOMRef : marshalStruct("IKEv2Enc", val(v))),
  IKEv2Integ: (v) => (val(v).BOMRef ? val(v).BOMRef : marshalStruct("IKEv2Integ", val(v))),
  IKEv2Ke: (v) => (val(v).BOMRef ? val(v).BOMRef : marshalStruct("IKEv2Ke", val(v))),
  IKEv2Prf: (v) => (val(v).BOMRef ? val(v).BOMRef : marshalStruct("IKEv2Prf", val(v))),
  PatentChoice: (v) => {
    const pc = val(v);
    if (set(pc.Patent)) return marshal("*Patent", pc.Patent);
    if (set(pc.PatentFamily)) return marshal("*PatentFamily", pc.PatentFamily);
    return {};
  },
};

/** The document conftest's cyclonedx parser gives a policy for an XML BOM. Throws GoError. */
export function cyclonedxXmlDocument(src: string): unknown {
  const bom = decode("BOM", undefined, readRoot(src));
  return marshal("BOM", bom);
}
