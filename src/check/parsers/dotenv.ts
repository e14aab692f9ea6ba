// .env (conftest parser/dotenv: subosito/gotenv StrictParse), ported: an object of strings. Like gotenv,
// lines split on \r, \n or \r\n, `export ` and `KEY: value` are accepted, double-quoted values unescape \n,
// \r and \X, single-quoted values are literal, and $VAR / ${VAR} expand — from the process environment
// first, then from earlier keys of the file (gotenv's order), so the document is the one conftest's
// policies see. A quote left open or a line in no known form is an error.
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

// RE2's \s is [\t\n\f\r ] and \w is [0-9A-Za-z_].
const S = "[\\t\\n\\f\\r ]";
const LINE = new RegExp(`^${S}*(?:export${S}+)?([0-9A-Za-z_.]+)(?:${S}*=${S}*|:${S}+?)('(?:'|[^'])*'|"(?:"|[^"])*"|[^#\\n]+)?${S}*(?:${S}*#.*)?$`);
const UNESCAPE = /\\([^$])/g;
const VAR = /(\\)?(\$)(\{?([A-Z0-9_]+)?\}?)/g;
const VARNAME = /(\$)(\{?([A-Z0-9_]+)\}?)/;

function lines(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const m = /[\r\n]/.exec(s.slice(i));
    if (!m) {
      out.push(s.slice(i));
      break;
    }
    const idx = i + m.index;
    out.push(s.slice(i, idx));
    i = s[idx] === "\r" && s[idx + 1] === "\n" ? idx + 2 : idx + 1;
  }
  return out;
}

function parseLine(s: string, env: Record<string, string>, ctx: ParseContext): void {
  const rm = LINE.exec(s);
  if (!rm) {
    const st = s.trim();
    if (st === "" || st[0] === "#") return;
    if (st.startsWith("export")) {
      const sp = st.indexOf(" ");
      if (sp >= 0 && !Object.hasOwn(env, st.slice(sp + 1))) throw malformed(ctx, ".env file", `line \`${st}\` has an unset variable`);
    }
    throw malformed(ctx, ".env file", `line \`${s}\` doesn't match format`);
  }
  const key = rm[1]!.trim();
  let val = (rm[2] ?? "").trim();
  let hsq = false, hdq = false;
  if (val.length >= 2) {
    const l = val.length - 1;
    hdq = val[0] === '"' && val[l] === '"';
    hsq = val[0] === "'" && val[l] === "'";
    if (hsq || hdq) val = val.slice(1, l);
  }
  if (hdq) val = val.replaceAll("\\n", "\n").replaceAll("\\r", "\r").replace(UNESCAPE, "$1");
  if (!hsq) {
    val = val.replace(VAR, (m) => {
      if (m[0] === "\\") return m.slice(1);
      const mn = VARNAME.exec(m);
      if (!mn) return m;
      const v = mn[3]!;
      return process.env[v] ?? (Object.hasOwn(env, v) ? env[v]! : "");
    });
  }
  env[key] = val;
}

export const dotenv: Parser = {
  name: "dotenv",
  parse(bytes, ctx) {
    const env: Record<string, string> = {};
    const ls = lines(text(bytes));
    for (let n = 0; n < ls.length; n++) {
      let line = ls[n]!.trim();
      if (line === "" || line[0] === "#") continue;
      let quote = "";
      let idx = line.indexOf("=");
      if (idx === -1) idx = line.indexOf(":");
      if (idx > 0 && idx < line.length - 1) {
        const val = line.slice(idx + 1).trim();
        if (val[0] === '"' || val[0] === "'") {
          quote = val[0];
          // gotenv indexes val with a position found in val[1:] — kept, to close quotes exactly as it does.
          const j = val.slice(1).trim().lastIndexOf(quote);
          if (j >= 0 && val[j] !== "\\") quote = "";
        }
      }
      while (quote !== "" && n + 1 < ls.length) {
        const l = ls[++n]!;
        line += "\n" + l;
        const j = l.lastIndexOf(quote);
        if (j > 0 && l[j - 1] === "\\") continue;
        if (j >= 0) quote = "";
      }
      if (quote !== "") throw malformed(ctx, ".env file", "missing quotes");
      parseLine(line, env, ctx);
    }
    return env;
  },
};
