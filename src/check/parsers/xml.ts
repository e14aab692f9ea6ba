// XML (conftest parser/xml: basgys/goxml2json over Go's encoding/xml). Library: saxes (strict, well-kept
// SAX tokenizer) for the tokens; the mapping is goxml2json's: an element is its text when it has no
// attributes or children, else an object with "-attr" strings, children by local name (a list when repeated)
// and "#content" for its text; names lose their namespace prefix; text is trimmed of spaces and controls, and
// an element's text is the LAST text run in it (goxml2json overwrites it on each). Every value is a string.
// goxml2json stops quietly at the first syntax error and returns what it had; tollgate reports the error
// instead, so a broken file is never half-read.
import { SaxesParser } from "saxes";
import { malformed, text, type Parser } from "./types.ts";

interface XNode { children?: Map<string, XNode[]>; data: string }

const TRIM = /^[\p{C}\p{Z}\t\n\v\f\r\u0085]+|[\p{C}\p{Z}\t\n\v\f\r\u0085]+$/gu;
const trimNonGraphic = (s: string) => s.replace(TRIM, "");

/** Go's xml.Name.Local of a qualified name: after the first colon when both sides are non-empty. */
function local(q: string): string {
  const i = q.indexOf(":");
  return i >= 1 && i < q.length - 1 ? q.slice(i + 1) : q;
}

function add(n: XNode, label: string, c: XNode): void {
  n.children ??= new Map();
  const list = n.children.get(label);
  if (list) list.push(c);
  else n.children.set(label, [c]);
}

function toJSON(n: XNode): unknown {
  if (!n.children || n.children.size === 0) return n.data;
  const o: Record<string, unknown> = {};
  if (n.data.length > 0) o["#content"] = n.data;
  for (const [label, cs] of n.children) o[label] = cs.length > 1 ? cs.map(toJSON) : toJSON(cs[0]!);
  return o;
}

export const xml: Parser = {
  name: "xml",
  parse(bytes, ctx) {
    const src = text(bytes);
    if (src.trim() === "") return "";
    const root: XNode = { data: "" };
    const stack: { n: XNode; label: string }[] = [{ n: root, label: "" }];
    const p = new SaxesParser({ xmlns: false, position: true });
    p.on("opentag", (t) => {
      const n: XNode = { data: "" };
      for (const [name, value] of Object.entries(t.attributes as Record<string, string>)) add(n, "-" + local(name), { data: value });
      stack.push({ n, label: local(t.name) });
    });
    const chars = (s: string) => { stack[stack.length - 1]!.n.data = trimNonGraphic(s); };
    p.on("text", chars);
    p.on("cdata", chars);
    p.on("closetag", () => {
      const e = stack.pop()!;
      add(stack[stack.length - 1]!.n, e.label, e.n);
    });
    try {
      p.write(src).close();
    } catch (e) {
      throw malformed(ctx, "XML", (e as Error).message.replace(/^undefined:/, "line "), e);
    }
    return toJSON(root);
  },
};
