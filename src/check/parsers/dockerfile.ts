// Dockerfile (conftest parser/docker: moby/buildkit's Dockerfile parser, then conftest's flattening into one
// document, a list of {Cmd, SubCmd, JSON, Flags, Value, Stage} commands with comments as Cmd "comment").
// No JS library builds buildkit's AST (dockerfile-ast keeps source ranges, not buildkit's per-instruction
// argument splitting), so this is a port of buildkit's line parser: parser directives (escape), line
// continuations, heredocs, builder flags, and each instruction's argument rule (JSON or shell form, name=value
// pairs with their quotes kept, whitespace-split words). Unknown instructions are errors, as in buildkit.
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

interface Cmd { Cmd: string; SubCmd: string; JSON: boolean; Flags: string[] | null; Value: string[] | null; Stage: number }
interface Parsed { value: string; flags: string[] | null; next: string[]; json: boolean; sub?: Parsed }

const WS = /[\t\v\f\r ]+/;
const isSpace = (c: string) => /\s/.test(c);

class Fail extends Error {}

function parseWords(rest: string, esc: string): string[] {
  const words: string[] = [];
  let phase = 0, quote = "", blankOK = false, sb = "";
  const cs = [...rest];
  for (let pos = 0; pos <= cs.length; pos++) {
    let ch = pos < cs.length ? cs[pos]! : "";
    if (phase === 0) {
      if (pos === cs.length) break;
      if (isSpace(ch)) continue;
      phase = 1;
    }
    if (pos === cs.length) {
      if (blankOK || sb.length > 0) words.push(sb);
      break;
    }
    if (phase === 1) {
      if (isSpace(ch)) {
        phase = 0;
        if (blankOK || sb.length > 0) words.push(sb);
        sb = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') { quote = ch; blankOK = true; phase = 2; }
      if (ch === esc) {
        if (pos + 1 === cs.length) continue;
        sb += ch;
        ch = cs[++pos]!;
      }
      sb += ch;
      continue;
    }
    if (ch === quote) phase = 1;
    if (ch === esc && quote !== "'") {
      if (pos + 1 === cs.length) { phase = 1; continue; }
      sb += ch;
      ch = cs[++pos]!;
    }
    sb += ch;
  }
  return words;
}

function nameVal(rest: string, key: string, esc: string): string[] {
  const words = parseWords(rest, esc);
  if (words.length === 0) return [];
  if (!words[0]!.includes("=")) {
    const parts = splitN(rest, 2);
    if (parts.length < 2) throw new Fail(`${key} must have two arguments`);
    return [parts[0]!, parts[1]!, ""];
  }
  return words.flatMap((w) => {
    const i = w.indexOf("=");
    if (i < 0) throw new Fail(`Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    return [w.slice(0, i), w.slice(i + 1), "="];
  });
}

function splitN(s: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const m = WS.exec(rest);
    if (!m) break;
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  out.push(rest);
  return out;
}

function json(rest: string): string[] | undefined {
  rest = rest.replace(/^\s+/, "");
  if (!rest.startsWith("[")) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (!v.every((s) => typeof s === "string")) throw new Fail("when using JSON array syntax, arrays must be comprised of strings only");
  return v as string[];
}

const whitespaceWords = (rest: string) => (rest === "" ? [] : rest.split(WS));
const maybeJSON = (rest: string): [string[], boolean] => {
  if (rest === "") return [[], false];
  const j = json(rest);
  return j ? [j, true] : [[rest], false];
};
const maybeJSONToList = (rest: string): [string[], boolean] => {
  const j = json(rest);
  return j ? [j, true] : [whitespaceWords(rest), false];
};

function extractFlags(line: string, esc: string): [string, string[]] {
  const words: string[] = [];
  let phase = 0, sb = "", quote = "", blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    let ch = pos < line.length ? line[pos]! : "";
    if (phase === 0) {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== "-" || pos + 1 === line.length || line[pos + 1] !== "-") return [line.slice(pos), words];
      phase = 1;
    }
    if (pos === line.length) {
      if (sb !== "--" && (blankOK || sb.length > 0)) words.push(sb);
      break;
    }
    if (phase === 1) {
      if (isSpace(ch)) {
        phase = 0;
        if (sb === "--") return [line.slice(pos), words];
        if (blankOK || sb.length > 0) words.push(sb);
        sb = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') { quote = ch; blankOK = true; phase = 2; continue; }
      if (ch === esc) {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      sb += ch;
      continue;
    }
    if (ch === quote) { phase = 1; continue; }
    if (ch === esc) {
      if (pos + 1 === line.length) { phase = 1; continue; }
      ch = line[++pos]!;
    }
    sb += ch;
  }
  return ["", words];
}

const KNOWN = new Set(["add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label", "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir"]);

function nodeFromLine(line: string, esc: string): Parsed {
  const cmdline = splitN(line.trim(), 2);
  const cmd = cmdline[0]!;
  let flags: string[] | null = null, args = "";
  if (cmdline.length === 2) [args, flags] = extractFlags(cmdline[1]!, esc);
  args = args.trim();
  const lc = cmd.toLowerCase();
  let next: string[] = [], isJSON = false, sub: Parsed | undefined;
  switch (lc) {
    case "add": case "copy": case "volume": [next, isJSON] = maybeJSONToList(args); break;
    case "cmd": case "entrypoint": case "run": case "shell": [next, isJSON] = maybeJSON(args); break;
    case "env": case "label": next = nameVal(args, lc === "env" ? "ENV" : "LABEL", esc); break;
    case "arg": next = parseWords(args, esc); break;
    case "expose": case "from": next = whitespaceWords(args); break;
    case "maintainer": case "stopsignal": case "user": case "workdir": next = args === "" ? [] : [args]; break;
    case "onbuild": if (args !== "") sub = nodeFromLine(args, esc); break;
    case "healthcheck": {
      let sep = 0;
      while (sep < args.length && !isSpace(args[sep]!)) sep++;
      let n = sep;
      while (n < args.length && isSpace(args[n]!)) n++;
      if (sep > 0) {
        const [rest, j] = maybeJSON(args.slice(n));
        next = [args.slice(0, sep), ...rest];
        isJSON = j;
      }
      break;
    }
  }
  return { value: cmd, flags, next, json: isJSON, ...(sub ? { sub } : {}) };
}

/** The builder flags each instruction takes (buildkit's instructions package); any other is an error. */
const FLAGS: Record<string, string[]> = {
  add: ["chown", "chmod", "link", "keep-git-dir", "checksum", "unpack", "exclude"],
  copy: ["chown", "from", "chmod", "link", "exclude", "parents"],
  from: ["platform"],
  healthcheck: ["interval", "timeout", "start-period", "start-interval", "retries"],
  run: ["mount", "network", "security", "device"],
};

/** buildkit's instruction checks that reject a parsed line (instructions.ParseInstruction). */
function validate(n: Parsed): void {
  const lc = n.value.toLowerCase();
  if (!KNOWN.has(lc)) throw new Fail(`unknown instruction: ${n.value}`);
  for (const f of n.flags ?? []) {
    const name = f.replace(/^--/, "").split("=")[0]!;
    if (!f.startsWith("--") || !(FLAGS[lc] ?? []).includes(name)) throw new Fail(`unknown flag: ${name}`);
  }
  const req = (min: number) => { if (n.next.length < min) throw new Fail(`${lc.toUpperCase()} requires at least ${min === 1 ? "one argument" : `${min} arguments`}`); };
  switch (lc) {
    case "from":
      if (n.next.length === 3 && n.next[1]!.toLowerCase() === "as") {
        if (!/^[a-z][a-z0-9-_.]*$/.test(n.next[2]!.toLowerCase())) throw new Fail(`invalid name for build stage: ${JSON.stringify(n.next[2])}, name can't start with a number or contain symbols`);
      } else if (n.next.length !== 1) throw new Fail("FROM requires either one or three arguments");
      break;
    case "env": case "label": case "maintainer": case "workdir": case "user": case "stopsignal": case "expose": req(1); break;
    case "add": case "copy": req(2); break;
    case "onbuild":
      if (!n.sub) throw new Fail("ONBUILD requires at least one argument");
      if (["onbuild", "from", "maintainer"].includes(n.sub.value.toLowerCase())) throw new Fail(`${n.sub.value.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      validate(n.sub);
      break;
    case "arg": if (n.next.length !== 1) throw new Fail("ARG requires exactly one argument"); break;
  }
}

const HEREDOC_WORD = /^(\d*)<<(-?)\s*([^<]*)$/;

/** Heredoc names on a RUN/COPY/ADD line (buildkit: words of the line that are `<<[-]NAME`). */
function heredocs(line: string): { name: string; chomp: boolean }[] {
  const out: { name: string; chomp: boolean }[] = [];
  for (const w of line.split(/\s+/)) {
    const m = HEREDOC_WORD.exec(w);
    if (!m || !m[3]) continue;
    const name = m[3].replace(/^(["'])(.*)\1$/, "$2");
    if (/\s/.test(name) || name === "") continue;
    out.push({ name, chomp: m[2] === "-" });
  }
  return out;
}

function parseDockerfile(src: string, ctx: ParseContext): Cmd[] {
  let esc = "\\";
  let contRe = /([^\\])\\[ \t]*$|^\\[ \t]*$/;
  const lines = src.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  let li = 0, lineNo = 0;
  let directivesDone = false;
  const seen = new Set<string>();
  const directive = (line: string): boolean => {
    if (directivesDone) return false;
    if (!line.startsWith("#")) { directivesDone = true; return false; }
    const m = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(line.slice(1).replace(/^\s+/, ""));
    const k = m?.[1]!.toLowerCase();
    if (!m || !["syntax", "escape", "check"].includes(k!)) { directivesDone = true; return false; }
    if (seen.has(k!)) throw new Fail(`only one ${k} parser directive can be used`);
    seen.add(k!);
    if (k === "escape") {
      if (m[2] !== "`" && m[2] !== "\\") throw new Fail(`invalid escape token '${m[2]}' does not match \` or \\`);
      esc = m[2];
      contRe = esc === "`" ? /([^`])`[ \t]*$|^`[ \t]*$/ : /([^\\])\\[ \t]*$|^\\[ \t]*$/;
    }
    return true;
  };
  const isComment = (l: string) => /^\s*#/.test(l);
  const trimNl = (l: string) => l.replace(/[\r\n]+$/, "");
  const process = (raw: string, stripLeft: boolean): [string, boolean] => {
    let t = trimNl(raw);
    if (stripLeft) t = t.replace(/^\s+/, "");
    const d = directive(t);
    return [isComment(t) ? "" : t, d];
  };
  const trimCont = (l: string): [string, boolean] => (contRe.test(l) ? [l.replace(contRe, "$1"), false] : [l, true]);

  const commands: Cmd[] = [];
  let stages = 0, any = false;
  let comments: string[] = [];
  while (li < lines.length) {
    let raw = lines[li++]!;
    if (lineNo === 0 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (isComment(raw)) {
      const c = raw.replace(/^\s*#/, "").trim();
      if (c === "") comments = [];
      else comments.push(c);
    }
    let [bytes, dirOk] = process(raw, true);
    if (dirOk) comments.pop();
    lineNo++;
    let eol: boolean;
    [bytes, eol] = trimCont(bytes);
    if (eol && bytes.length === 0) continue;
    let buf = bytes;
    while (!eol && li < lines.length) {
      const next = lines[li++]!;
      const [b] = process(next, false);
      lineNo++;
      if (isComment(next)) continue;
      if (trimNl(b).replace(/^\s+/, "").length === 0) continue;
      let part: string;
      [part, eol] = trimCont(b);
      buf += part;
    }
    const node = nodeFromLine(buf, esc);
    validate(node);
    const target = node.value.toLowerCase() === "onbuild" && node.sub ? node.sub : node;
    if (["add", "copy", "run"].includes(target.value.toLowerCase()) && !target.json && buf.includes("<<")) {
      for (const h of heredocs(buf)) {
        let done = false;
        while (li < lines.length) {
          let l = trimNl(lines[li++]!);
          lineNo++;
          if (h.chomp) l = l.replace(/^\t+/, "");
          if (l === h.name) { done = true; break; }
        }
        if (!done) throw new Fail("unterminated heredoc");
      }
    }
    any = true;
    if (node.value.toLowerCase() === "from") stages++;
    const stage = Math.max(stages - 1, 0);
    for (const c of comments) commands.push({ Cmd: "comment", SubCmd: "", JSON: false, Flags: null, Value: [c], Stage: stage });
    commands.push({
      Cmd: node.value.toLowerCase(),
      SubCmd: node.sub ? node.sub.value : "",
      JSON: target.json,
      Flags: node.flags,
      Value: target.next.length ? target.next : null,
      Stage: stage,
    });
    comments = [];
  }
  if (!any) throw malformed(ctx, "Dockerfile", "file with no instructions");
  return commands;
}

export const dockerfile: Parser = {
  name: "dockerfile",
  parse(bytes, ctx) {
    try {
      return [parseDockerfile(text(bytes), ctx)];
    } catch (e) {
      if (e instanceof Fail) throw malformed(ctx, "Dockerfile", e.message);
      throw e;
    }
  },
};
