// CycloneDX (conftest parser/cyclonedx: cyclonedx-go). Input that is valid JSON is a JSON BOM, given to the
// policy as the JSON itself. Anything else is read as an XML BOM: decoded into cyclonedx-go's BOM struct and
// marshalled as JSON, so the policy sees cyclonedx-go's JSON shape of it (cyclonedx-xml.ts).
import { malformed, text, type Parser } from "./types.ts";

export const cyclonedx: Parser = {
  name: "cyclonedx",
  async parse(bytes, ctx) {
    const src = text(bytes);
    let doc: unknown;
    try {
      doc = JSON.parse(src);
    } catch {
      const { cyclonedxXmlDocument, GoError } = await import("./cyclonedx-xml.ts");
      try {
        return cyclonedxXmlDocument(src);
      } catch (e) {
        if (e instanceof GoError) throw malformed(ctx, "CycloneDX", e.message, e);
        throw e;
      }
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw malformed(ctx, "CycloneDX JSON", "a BOM is a JSON object");
    return doc;
  },
};
