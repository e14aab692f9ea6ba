// SPDX tag-value (conftest parser/spdx: spdx/tools-golang tagvalue.Read, which parses SPDX 2.1/2.2/2.3 and
// converts to its 2.3 Document, then json.Marshal). No JS library reads tag-value into that struct's JSON
// shape, so this ports tools-golang's reader: the tag/value lexer (with <text> blocks), its section state
// machine (document, creation info, packages, files, other licenses, reviews, relationships, annotations)
// and the 2.3 struct's JSON field names and omitempty rules ("SPDXRef-" ids, "Person: x" creators,
// spdxVersion "SPDX-2.3"). Snippets are parsed and checked as its reader does (SnippetSPDXID opens one inside
// the current file, ranges are Go integers), but the reader files them under File.Snippets, which is
// json:"-", and never fills Document.Snippets: the marshalled document carries no snippets, so a policy
// sees none under conftest either.
import { TollgateError } from "../../core/errors.ts";
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

class Fail extends Error {}

const CHECKSUMS = new Set(["SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "MD2", "MD4", "MD5", "MD6", "SHA3-256", "SHA3-384", "SHA3-512", "BLAKE2b-256", "BLAKE2b-384", "BLAKE2b-512", "BLAKE3", "ADLER32"]);

function tagValues(src: string): [string, string][] {
  const out: [string, string][] = [];
  let mid = false, tag = "", value = "";
  for (const line of src.split(/\r?\n/)) {
    if (mid) {
      const i = line.indexOf("</text>");
      if (i < 0) {
        value += line + "\n";
        continue;
      }
      out.push([tag, value + line.slice(0, i)]);
      mid = false;
      continue;
    }
    const l2 = line.replace(/^\s+/, "");
    if (l2 === "" || l2.startsWith("#")) continue;
    const c = l2.indexOf(":");
    if (c < 0) throw new Fail(`no colon found in '${line}'`);
    tag = l2.slice(0, c).trim();
    const rest = l2.slice(c + 1);
    const t = rest.indexOf("<text>");
    if (t < 0) {
      out.push([tag, rest.trim()]);
      continue;
    }
    const after = rest.slice(t + 6);
    const e = after.indexOf("</text>");
    if (e >= 0) out.push([tag, after.slice(0, e)]);
    else {
      value = after + "\n";
      mid = true;
    }
  }
  if (mid) throw new Fail("a <text> value is not closed by </text>");
  return out;
}

function subs(v: string): [string, string] {
  const i = v.indexOf(":");
  if (i < 0) throw new Fail(`invalid subvalue format for ${v} (no colon found)`);
  return [v.slice(0, i).trim(), v.slice(i + 1).trim()];
}

function elementID(v: string): string {
  if (!v.startsWith("SPDXRef-")) throw new Fail("missing SPDXRef- prefix for element identifier");
  if (v.includes(":")) throw new Fail("invalid colon in element identifier");
  if (v === "SPDXRef-") throw new Fail("element identifier has nothing after prefix");
  return v;
}

function docElementID(v: string, special: string[] = []): string {
  if (special.includes(v)) return v;
  let id = v;
  if (id.startsWith("DocumentRef-")) {
    const parts = id.split(":");
    if (parts.length < 2) throw new Fail("no colon found although DocumentRef- prefix present");
    if (parts.length > 2) throw new Fail("more than one colon found");
    if (parts[0] === "DocumentRef-") throw new Fail("document identifier has nothing after prefix");
    id = parts[1]!;
    return `${parts[0]}:${elementID(id)}`;
  }
  return elementID(id);
}

const fields = (v: string) => v.split(" ").map((s) => s.trim()).filter((s) => s !== "");

type Obj = Record<string, unknown>;
const put = (o: Obj, k: string, v: unknown) => {
  // omitempty
  if (v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) return;
  o[k] = v;
};

function parse(pairs: [string, string][]): Obj {
  if (pairs.length === 0) throw new Fail("no tag values found");
  const version = pairs.find(([t]) => t === "SPDXVersion")?.[1] ?? "";
  if (!["SPDX-2.1", "SPDX-2.2", "SPDX-2.3"].includes(version)) throw new Fail(`unsupported SPDX version: '${version}'`);
  const doc: Obj & { packages?: Obj[]; files?: Obj[]; relationships?: Obj[]; annotations?: Obj[]; hasExtractedLicensingInfos?: Obj[]; externalDocumentRefs: Obj[] } = { externalDocumentRefs: [] };
  let st: "start" | "ci" | "pkg" | "file" | "snip" | "lic" | "rev" = "start";
  let ci: Obj | undefined, pkg: Obj | undefined, file: Obj | undefined, lic: Obj | undefined, rln: Obj | undefined, ann: Obj | undefined, extRef: Obj | undefined, aop: Obj | undefined;
  let pkgHasId = false, fileHasId = false;
  const push = (o: Obj, k: string, v: unknown) => ((o[k] as unknown[] | undefined) ?? (o[k] = [])) && (o[k] as unknown[]).push(v);

  const common = (tag: string, value: string): boolean => {
    switch (tag) {
      case "Relationship": {
        rln = {};
        push(doc, "relationships", rln);
        const rp = fields(value);
        if (rp.length !== 3) throw new Fail(`invalid relationship format for ${value}`);
        rln.spdxElementId = docElementID(rp[0]!);
        rln.relationshipType = rp[1];
        rln.relatedSpdxElement = docElementID(rp[2]!, ["NONE", "NOASSERTION"]);
        return true;
      }
      case "RelationshipComment":
        if (!rln) throw new Fail("no relationship struct created in parser rln pointer");
        rln.comment = value;
        return true;
      case "Annotator": {
        ann = { annotationDate: "", annotationType: "", comment: "" };
        push(doc, "annotations", ann);
        const [k, v] = subs(value);
        if (!["Person", "Organization", "Tool"].includes(k)) throw new Fail(`unrecognized Annotator type ${k}`);
        ann.annotator = `${k}: ${v}`;
        return true;
      }
      case "AnnotationDate": case "AnnotationType": case "SPDXREF": case "AnnotationComment":
        if (!ann) throw new Fail("no annotation struct created in parser ann pointer");
        if (tag === "AnnotationDate") ann.annotationDate = value;
        else if (tag === "AnnotationType") ann.annotationType = value;
        else if (tag === "AnnotationComment") ann.comment = value;
        else docElementID(value);
        return true;
    }
    return false;
  };

  const newPkg = () => {
    pkg = { name: "", downloadLocation: "", filesAnalyzed: true };
    pkgHasId = false;
  };

  const fromStart = (tag: string, value: string): void => {
    doc.SPDXID ??= "";
    switch (tag) {
      case "DocumentComment": doc.comment = value; return;
      case "SPDXVersion": return;
      case "DataLicense": doc.dataLicense = value; return;
      case "SPDXID": doc.SPDXID = elementID(value); return;
      case "DocumentName": doc.name = value; return;
      case "DocumentNamespace": doc.documentNamespace = value; return;
      case "ExternalDocumentRef": {
        const k = fields(value);
        let id: string, uri: string, alg: string, sum: string;
        if (k.length === 4) {
          [id, uri, alg, sum] = k as [string, string, string, string];
          if (!alg.endsWith(":")) throw new Fail("algorithm does not end with colon");
          alg = alg.slice(0, -1);
        } else if (k.length === 3) {
          [id, uri] = k as [string, string];
          const i = k[2]!.indexOf(":");
          if (i < 0) throw new Fail("missing colon separator between algorithm and checksum");
          alg = k[2]!.slice(0, i);
          sum = k[2]!.slice(i + 1);
        } else throw new Fail(`expected 4 elements, got ${k.length}`);
        if (!id.startsWith("DocumentRef-")) throw new Fail("expected first element to have DocumentRef- prefix");
        if (id === "DocumentRef-") throw new Fail("document identifier has nothing after prefix");
        doc.externalDocumentRefs.push({ externalDocumentId: id, spdxDocument: uri, checksum: { algorithm: alg, checksumValue: sum } });
        return;
      }
    }
    st = "ci";
    fromCI(tag, value);
  };

  const fromCI = (tag: string, value: string): void => {
    ci ??= { creators: null, created: "" };
    switch (tag) {
      case "LicenseListVersion": ci.licenseListVersion = value; return;
      case "Creator": {
        const [k, v] = subs(value);
        if (!["Person", "Organization", "Tool"].includes(k)) throw new Fail(`unrecognized Creator type ${k}`);
        ((ci.creators as string[] | null) ?? (ci.creators = [])) && (ci.creators as string[]).push(`${k}: ${v}`);
        return;
      }
      case "Created": ci.created = value; return;
      case "CreatorComment": ci.comment = value; return;
      case "PackageName":
        if (file && !fileHasId) throw new Fail(`file with FileName ${file.fileName} does not have SPDX identifier`);
        st = "pkg";
        newPkg();
        return fromPkg(tag, value);
      case "FileName": st = "file"; pkg = undefined; return fromFile(tag, value);
      case "LicenseID": st = "lic"; return fromLic(tag, value);
      case "Reviewer": st = "rev"; return fromRev(tag, value);
      case "DocumentComment": st = "start"; return fromStart(tag, value);
    }
    if (!common(tag, value)) throw new Fail(`received unknown tag ${tag} in CreationInfo section`);
  };

  const checksum = (o: Obj, key: string, value: string) => {
    const [alg, v] = subs(value);
    o[key] ??= [];
    if (!CHECKSUMS.has(alg)) throw new Fail(`got unknown checksum type ${alg}`);
    (o[key] as Obj[]).push({ algorithm: alg, checksumValue: v });
  };

  const fromPkg = (tag: string, value: string): void => {
    if (tag !== "ExternalRefComment") extRef = undefined;
    const p = pkg!;
    switch (tag) {
      case "PackageName":
        if (!pkg || p.name !== "") {
          if (pkg && !pkgHasId) throw new Fail(`package with PackageName ${p.name} does not have SPDX identifier`);
          newPkg();
        }
        pkg!.name = value;
        return;
      case "FileName": st = "file"; return fromFile(tag, value);
      case "LicenseID": st = "lic"; return fromLic(tag, value);
      case "SPDXID": p.SPDXID = elementID(value); pkgHasId = true; push(doc, "packages", p); return;
      case "PackageVersion": p.versionInfo = value; return;
      case "PackageFileName": p.packageFileName = value; return;
      case "PackageSupplier": case "PackageOriginator": {
        const key = tag === "PackageSupplier" ? "supplier" : "originator";
        if (value === "NOASSERTION") { p[key] = value; return; }
        const [k, v] = subs(value);
        if (k !== "Person" && k !== "Organization") throw new Fail(`unrecognized ${tag} type ${k}`);
        p[key] = `${k}: ${v}`;
        return;
      }
      case "PackageDownloadLocation": p.downloadLocation = value; return;
      case "FilesAnalyzed": if (value === "false") p.filesAnalyzed = false; else if (value === "true") p.filesAnalyzed = true; return;
      case "PackageVerificationCode": {
        const i = value.indexOf("(excludes:");
        if (i < 0) p.packageVerificationCode = { packageVerificationCodeValue: value };
        else p.packageVerificationCode = { packageVerificationCodeValue: value.slice(0, i).trim(), packageVerificationCodeExcludedFiles: [value.slice(i + 10).split(")")[0]!.trim()] };
        return;
      }
      case "PackageChecksum": return checksum(p, "checksums", value);
      case "PackageHomePage": p.homepage = value; return;
      case "PackageSourceInfo": p.sourceInfo = value; return;
      case "PackageLicenseConcluded": p.licenseConcluded = value; return;
      case "PackageLicenseInfoFromFiles": push(p, "licenseInfoFromFiles", value); return;
      case "PackageLicenseDeclared": p.licenseDeclared = value; return;
      case "PackageLicenseComments": p.licenseComments = value; return;
      case "PackageCopyrightText": p.copyrightText = value; return;
      case "PackageSummary": p.summary = value; return;
      case "PackageDescription": p.description = value; return;
      case "PackageComment": p.comment = value; return;
      case "PrimaryPackagePurpose": p.primaryPackagePurpose = value; return;
      case "ReleaseDate": p.releaseDate = value; return;
      case "BuiltDate": p.builtDate = value; return;
      case "ValidUntilDate": p.validUntilDate = value; return;
      case "PackageAttributionText": push(p, "attributionTexts", value); return;
      case "ExternalRef": {
        const k = fields(value);
        extRef = {};
        push(p, "externalRefs", extRef);
        if (k.length !== 3) throw new Fail(`expected 3 elements, got ${k.length}`);
        Object.assign(extRef, { referenceCategory: k[0]!.replaceAll("_", "-"), referenceType: k[1], referenceLocator: k[2] });
        return;
      }
      case "ExternalRefComment":
        if (!extRef) throw new Fail("no current ExternalRef found");
        extRef.comment = value;
        extRef = undefined;
        return;
      case "Reviewer": st = "rev"; return fromRev(tag, value);
    }
    if (!common(tag, value)) throw new Fail(`received unknown tag ${tag} in Package section`);
  };

  const fromFile = (tag: string, value: string): void => {
    if (tag !== "ArtifactOfProjectHomePage" && tag !== "ArtifactOfProjectURI") aop = undefined;
    const f = file!;
    switch (tag) {
      case "FileName":
        if (file && !fileHasId) throw new Fail(`file with FileName ${file.fileName} does not have SPDX identifier`);
        file = { fileName: value, checksums: null, copyrightText: "" };
        fileHasId = false;
        return;
      case "PackageName":
        st = "pkg";
        if (file && !fileHasId) throw new Fail(`file with FileName ${file.fileName} does not have SPDX identifier`);
        file = undefined;
        return fromPkg(tag, value);
      case "SnippetSPDXID": st = "snip"; return fromSnip(tag, value);
      case "LicenseID": st = "lic"; return fromLic(tag, value);
      case "SPDXID":
        f.SPDXID = elementID(value);
        fileHasId = true;
        push(pkg ?? doc, "files", f);
        return;
      case "FileType": push(f, "fileTypes", value); return;
      case "FileChecksum": return checksum(f, "checksums", value);
      case "LicenseConcluded": f.licenseConcluded = value; return;
      case "LicenseInfoInFile": push(f, "licenseInfoInFiles", value); return;
      case "LicenseComments": f.licenseComments = value; return;
      case "FileCopyrightText": f.copyrightText = value; return;
      case "ArtifactOfProjectName": aop = { name: value, homePage: "", URI: "" }; push(f, "artifactOfs", aop); return;
      case "ArtifactOfProjectHomePage": case "ArtifactOfProjectURI":
        if (!aop) throw new Fail("no current ArtifactOfProject found");
        aop[tag === "ArtifactOfProjectURI" ? "URI" : "homePage"] = value;
        return;
      case "FileComment": f.comment = value; return;
      case "FileNotice": f.noticeText = value; return;
      case "FileContributor": push(f, "fileContributors", value); return;
      case "FileDependency": push(f, "fileDependencies", value); return;
      case "FileAttributionText": push(f, "attributionTexts", value); return;
      case "Reviewer": st = "rev"; return fromRev(tag, value);
    }
    if (!common(tag, value)) throw new Fail(`received unknown tag ${tag} in File section`);
  };

  // Go's strconv.Atoi: optional sign, decimal digits, within int64.
  const atoi = (v: string): number => {
    if (!/^[+-]?\d+$/.test(v)) throw new Fail(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    if (BigInt(v) > 9223372036854775807n || BigInt(v) < -9223372036854775808n) throw new Fail(`strconv.Atoi: parsing ${JSON.stringify(v)}: value out of range`);
    return Number(v);
  };
  const range = (value: string) => {
    const [a, b] = subs(value);
    atoi(a);
    atoi(b);
  };

  // tools-golang's parsePairFromSnippet: the values are checked; none reaches the JSON (see the header).
  const fromSnip = (tag: string, value: string): void => {
    switch (tag) {
      case "SnippetSPDXID":
        if (file && !fileHasId) throw new Fail(`file with FileName ${file.fileName} does not have SPDX identifier`);
        elementID(value);
        return;
      case "FileName": st = "file"; return fromFile(tag, value);
      case "PackageName": st = "pkg"; file = undefined; return fromPkg(tag, value);
      case "LicenseID": st = "lic"; return fromLic(tag, value);
      case "SnippetFromFileSPDXID": docElementID(value); return;
      case "SnippetByteRange": case "SnippetLineRange": return range(value);
      case "SnippetLicenseConcluded": case "LicenseInfoInSnippet": case "SnippetLicenseComments": case "SnippetCopyrightText":
      case "SnippetComment": case "SnippetName":
        return;
      case "SnippetAttributionText": // not an SPDX 2.1 tag (tools-golang's 2.1 reader does not know it)
        if (version !== "SPDX-2.1") return;
        break;
      case "Reviewer": st = "rev"; return fromRev(tag, value);
    }
    if (!common(tag, value)) throw new Fail(`received unknown tag ${tag} in Snippet section`);
  };

  const fromLic = (tag: string, value: string): void => {
    switch (tag) {
      case "LicenseID": lic = { licenseId: value, extractedText: "" }; push(doc, "hasExtractedLicensingInfos", lic); return;
      case "ExtractedText": lic!.extractedText = value; return;
      case "LicenseName": lic!.name = value; return;
      case "LicenseCrossReference": push(lic!, "seeAlsos", value); return;
      case "LicenseComment": lic!.comment = value; return;
      case "Reviewer": st = "rev"; return fromRev(tag, value);
    }
    if (!common(tag, value)) throw new Fail(`received unknown tag ${tag} in OtherLicense section`);
  };

  // Reviews are parsed (and checked) but not marshalled: the 2.3 struct's Reviews field is json:"-".
  const fromRev = (tag: string, value: string): void => {
    if (tag === "Reviewer") {
      const [k] = subs(value);
      if (!["Person", "Organization", "Tool"].includes(k)) throw new Fail(`unrecognized Reviewer type ${k}`);
      return;
    }
    if (tag === "ReviewDate" || tag === "ReviewComment") return;
    if (!common(tag, value)) throw new Fail(`received unknown tag ${tag} in Review section`);
  };

  for (const [tag, value] of pairs) {
    if (st === "start") fromStart(tag, value);
    else if (st === "ci") fromCI(tag, value);
    else if (st === "pkg") fromPkg(tag, value);
    else if (st === "file") fromFile(tag, value);
    else if (st === "snip") fromSnip(tag, value);
    else if (st === "lic") fromLic(tag, value);
    else fromRev(tag, value);
  }
  if (file && !fileHasId) throw new Fail(`file with FileName ${file.fileName} does not have SPDX identifier`);
  if (pkg && !pkgHasId) throw new Fail(`package with PackageName ${pkg.name} does not have SPDX identifier`);

  const out: Obj = {
    spdxVersion: "SPDX-2.3",
    dataLicense: doc.dataLicense ?? "",
    SPDXID: doc.SPDXID ?? "",
    name: doc.name ?? "",
    documentNamespace: doc.documentNamespace ?? "",
    creationInfo: ci ?? null,
  };
  put(out, "externalDocumentRefs", doc.externalDocumentRefs);
  put(out, "comment", doc.comment);
  for (const k of ["packages", "files", "hasExtractedLicensingInfos", "relationships", "annotations"] as const) put(out, k, doc[k]);
  // "SPDXRef-" with nothing after it cannot be set, but an unset SPDXID marshals as "SPDXRef-" in Go.
  if (out.SPDXID === "") out.SPDXID = "SPDXRef-";
  return out;
}

export const spdx: Parser = {
  name: "spdx",
  parse(bytes, ctx: ParseContext) {
    try {
      return parse(tagValues(text(bytes)));
    } catch (e) {
      if (e instanceof Fail) throw malformed(ctx, "SPDX tag-value", e.message);
      if (e instanceof TollgateError && !e.path) throw new TollgateError(e.code, e.message, ctx.path, { cause: e });
      throw e;
    }
  },
};
