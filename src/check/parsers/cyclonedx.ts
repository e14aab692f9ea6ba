// CycloneDX (conftest parser/cyclonedx: cyclonedx-go). A JSON BOM is decoded to check it and then given to the
// policy as the JSON itself, so the document is the JSON object. An XML BOM is decoded into cyclonedx-go's
// BOM struct and re-marshalled as JSON; tollgate does not implement that struct mapping yet and says so,
// rather than hand a policy a document of another shape.
import { TollgateError } from "../../core/errors.ts";
import { malformed, text, type Parser } from "./types.ts";

export const cyclonedx: Parser = {
  name: "cyclonedx",
  parse(bytes, ctx) {
    const src = text(bytes);
    let doc: unknown;
    try {
      doc = JSON.parse(src);
    } catch (e) {
      if (src.trimStart().startsWith("<")) throw new TollgateError("unsupported", "CycloneDX XML is not supported yet (convert it to CycloneDX JSON, e.g. with cyclonedx-cli convert)", ctx.path);
      throw malformed(ctx, "CycloneDX JSON", (e as Error).message, e);
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw malformed(ctx, "CycloneDX JSON", "a BOM is a JSON object");
    return doc;
  },
};
