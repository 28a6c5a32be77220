/**
 * Turn a kernel build log into typed, signed diagnostics.
 *
 * The parser reads the log line by line and joins multi-line records: gcc's `In function`
 * context, `In file included from` chains, caret lines and notes; ld's `in function` header and
 * the reference lines under it; Kconfig's unmet-dependency block. Records with the same
 * signature (parallel make prints some twice) are collapsed, keeping a `count`.
 *
 * @module
 */
import type { BuildStatus } from "../build/result.ts";
import type { Diagnostic, DiagnosticKind, InfraCause, Severity } from "./diagnostic.ts";
import { asciiQuotes, enteredDirs, normalize, PathStripper } from "./_paths.ts";

/** Options for {@linkcode parseLog}. */
export interface ParseLogOptions {
  /** Absolute build directory (`O=`) to strip from paths. Default: from make's `Entering directory`. */
  buildDir?: string;
  /** Absolute kernel source directory to strip from paths. Default: from make's `Entering directory`. */
  srcDir?: string;
}

/**
 * Parse `log` into diagnostics, in order of first appearance.
 *
 * @example Usage
 * ```ts
 * import { parseLog } from "./parse_log.ts";
 * const log = "arm-linux-gnueabi-ld: drivers/xen/grant-table.o: in function `f':\n" +
 *   "grant-table.c:(.text+0x4f8): undefined reference to `__bad_cmpxchg'\n";
 * parseLog(log)[0]?.signature; // "ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o"
 * ```
 *
 * @param log The whole build log (stdout and stderr interleaved, as `2>&1` leaves it).
 * @param options Directories to strip so that paths come out relative.
 * @returns The diagnostics, duplicates collapsed.
 */
export function parseLog(log: string, options: ParseLogOptions = {}): Diagnostic[] {
  const parser = new LogParser(new PathStripper([options, enteredDirs(log)]));
  for (const line of log.split("\n")) parser.line(line.endsWith("\r") ? line.slice(0, -1) : line);
  return parser.finish();
}

/** Whether any diagnostic is an infrastructure failure (toolchain missing, killed, no space). */
export function isInfra(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.kind === "infra");
}

/**
 * The outcome a log shows: `infra` when the machine failed (whatever else the log says: such
 * a build cannot be judged), `fail` when there is an error, else `pass`.
 *
 * @param log The build log.
 * @param diagnostics Its diagnostics when already parsed (default: parse `log`).
 */
export function classifyLog(log: string, diagnostics?: readonly Diagnostic[]): BuildStatus {
  const diags = diagnostics ?? parseLog(log);
  if (isInfra(diags)) return "infra";
  return diags.some((d) => d.severity === "error") ? "fail" : "pass";
}

/** A record being built: the signature is computed once the record is complete. */
interface Draft extends Omit<Diagnostic, "signature" | "key" | "text" | "count"> {
  lines: string[];
}

// Checked first on every line: the machine failed, whatever tool printed it.
const INFRA: { re: RegExp; cause: InfraCause; tool?: boolean }[] = [
  { re: /No space left on device|Disk quota exceeded/, cause: "no-space" },
  { re: /fatal error: Killed signal terminated program (\S+)/, cause: "killed" },
  { re: /internal compiler error: Killed/, cause: "killed" },
  {
    re:
      /^make(?:\[\d+\])?: \*\*\* \[.*\] (?:Killed|Terminated|Interrupt|Hangup|Error 13[07]|Error 143)$/,
    cause: "killed",
  },
  { re: /^kmatrix: step \S+ killed by \S+/, cause: "killed" },
  { re: /^(?:\/bin\/sh|sh|bash): (?:line )?\d+: +\d+ Killed/, cause: "killed" },
  { re: /^Killed$/, cause: "killed" },
  {
    re: /virtual memory exhausted|Cannot allocate memory|[Oo]ut of memory/,
    cause: "out-of-memory",
  },
  {
    re: /\b(?:C compiler|compiler|linker|assembler) ['‘](.+?)['’] not found/,
    cause: "toolchain",
    tool: true,
  },
  { re: /ccache: error: Could not find compiler ["'‘](.+?)["'’]/, cause: "toolchain", tool: true },
  {
    re:
      /(?:^|: )([^\s/:]*(?:gcc|g\+\+|-cc|-ld|-as|-ar|-nm|objcopy|objdump|-strip|clang|ccache)(?:-\d+)?): (?:Command not found|not found|No such file or directory)$/,
    cause: "toolchain",
    tool: true,
  },
];

const CARET = /^ *\d* \|( |$)/;
const QUIET = /^ {2}[A-Z0-9_]+ {2,}\S/; // Kbuild's `  CC      kernel/fork.o`
const MAKE = /^(make(?:\[\d+\])?): (.*)$/;
const MAKE_RECIPE = /^\*\*\* \[(?:(.+?):(\d+): )?(.+?)\] Error (\d+)$/;
const MAKE_NO_RULE =
  /^\*\*\* No rule to make target ['‘`](.+?)['’](?:, needed by ['‘`](.+?)['’])?\.\s+Stop\.$/;
const MAKE_STOP = /^\*\*\* (.+?)\.\s+Stop\.$/;
const MAKEFILE_STOP = /^(\S+?):(\d+): \*\*\* (.+?)\.\s+Stop\.$/;
const KCONFIG_UNMET = /^WARNING: unmet direct dependencies detected for (\S+)$/;
const KCONFIG_FILE = /^(\S+?):(\d+):(warning|error): ?(.*)$/;
const MODPOST_UNDEF = /^(ERROR|WARNING): modpost: "(.+?)" \[(.+?)\] undefined!$/;
const MODPOST = /^(ERROR|WARNING): modpost: (.+)$/;
const LD = /^((?:\S+-)?ld(?:\.bfd|\.gold)?|ld\.lld): (.*)$/;
const LD_HEADER = /^(.+?): in function [`'‘](.+?)['’]:$/;
const LD_REF = /^(.+?):\((\.[^+)]*)(?:\+(0x[0-9a-f]+))?\): (.+)$/;
const ASM_HEADER = /^(.+?): Assembler messages:$/;
const ASM_LINE = /^(.+?):(\d+): (Error|Warning|Fatal error): (.+)$/;
const ASM_NOLINE = /^(.+?): (Error|Warning|Fatal error): (.+)$/;
const CC_FUNCTION = /^(.+?): In (?:static |member )?function ['‘](.+?)['’]:$/;
const CC_TOPLEVEL = /^(.+?): At top level:$/;
const CC_INCLUDED = /^In file included from (.+?):(\d+)[,:]$/;
const CC_FROM = /^ +from (.+?):(\d+)[,:]$/;
const CC_LINE = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;
const DOC_LINE = /^(.+?\.[ch]):(\d+): (warning|error): (.*)$/;
const CC_TOOL = /^(cc1|cc1plus|\S*gcc(?:-\d+)?|clang): (fatal error|error|warning|note): (.*)$/;
const CC_OPTION = / \[(-W[^\]\s]+|-f[^\]\s]+|enabled by default)\]$/;

class LogParser {
  #paths: PathStripper;
  #drafts: Draft[] = [];
  /** The record continuation lines (carets, notes, kernel-doc excerpts) belong to. */
  #current: Draft | undefined;
  #function: { file: string; name: string } | undefined;
  #included: string[] = [];
  #asmFile: string | undefined;
  /** Assembler records from a temporary `.s`: the next failing make target names the object. */
  #asmPending: Draft[] = [];
  #ld: { object: string; function: string; line: string } | undefined;
  #kconfig: Draft | undefined;

  constructor(paths: PathStripper) {
    this.#paths = paths;
  }

  line(line: string): void {
    if (this.#kconfig && this.#kconfigLine(line)) return;
    this.#kconfig = undefined;
    if (this.#current && this.#continuation(line)) return;
    this.#current = undefined;
    if (line.trim() === "" || QUIET.test(line)) return;
    if (this.#infra(line)) return;
    if (this.#make(line)) return;
    if (this.#kconfigStart(line)) return;
    if (this.#modpost(line)) return;
    if (this.#linker(line)) return;
    this.#ld = undefined;
    if (this.#assembler(line)) return;
    this.#compiler(line);
  }

  finish(): Diagnostic[] {
    const out = new Map<string, Diagnostic>();
    for (const draft of this.#drafts) {
      const { lines, ...fields } = draft;
      const [signature, key] = sign(draft);
      const seen = out.get(signature);
      if (seen) {
        seen.count++;
        continue;
      }
      const d: Diagnostic = { ...fields, signature, key, text: lines.join("\n"), count: 1 };
      out.set(signature, d);
    }
    return [...out.values()];
  }

  #push(draft: Draft): Draft {
    this.#drafts.push(draft);
    return draft;
  }

  #continuation(line: string): boolean {
    const cur = this.#current!;
    if (cur.kind === "compiler" && CARET.test(line)) {
      cur.lines.push(line);
      return true;
    }
    if (cur.kind === "kernel-doc" && /^ ?\*|^\/\*\*/.test(line)) {
      cur.lines.push(line);
      return true;
    }
    if (cur.kind === "compiler" && cur.severity !== "note") {
      const m = CC_LINE.exec(line);
      if (m && m[4] === "note") {
        const file = this.#paths.path(m[1]!);
        cur.notes ??= [];
        cur.notes.push(`${file}:${m[2]}:${m[3]}: ${asciiQuotes(this.#paths.text(m[5]!))}`);
        cur.lines.push(line);
        return true;
      }
    }
    return false;
  }

  #infra(line: string): boolean {
    for (const { re, cause, tool } of INFRA) {
      const m = re.exec(line);
      if (!m) continue;
      this.#push({
        kind: "infra",
        severity: "error",
        cause,
        message: asciiQuotes(this.#paths.text(line)),
        ...(tool && m[1] ? { tool: m[1] } : {}),
        lines: [line],
      });
      return true;
    }
    return false;
  }

  #make(line: string): boolean {
    const mf = MAKEFILE_STOP.exec(line);
    if (mf) {
      this.#push({
        kind: "make",
        severity: "error",
        file: this.#paths.path(mf[1]!),
        line: Number(mf[2]),
        message: asciiQuotes(this.#paths.text(mf[3]!)),
        lines: [line],
      });
      return true;
    }
    const m = MAKE.exec(line);
    if (!m) return false;
    const tool = m[1]!;
    const rest = m[2]!;
    this.#ld = undefined;
    this.#asmFile = undefined;
    const recipe = MAKE_RECIPE.exec(rest);
    if (recipe) {
      const target = this.#paths.path(recipe[3]!);
      if (/\.(o|ko|a)$/.test(target)) {
        for (const d of this.#asmPending) d.object ??= target;
        this.#asmPending = [];
      }
      // `Error 2` is a sub-make reporting that something below it failed: a cascade.
      if (recipe[4] === "2") return true;
      this.#push({
        kind: "make",
        severity: "error",
        tool,
        target,
        ...(/\.(o|ko|a)$/.test(target) ? { object: target } : {}),
        status: Number(recipe[4]),
        message: `[${target}] Error ${recipe[4]}`,
        lines: [line],
      });
      return true;
    }
    const noRule = MAKE_NO_RULE.exec(rest);
    if (noRule) {
      const target = this.#paths.path(noRule[1]!);
      const needed = noRule[2] ? this.#paths.path(noRule[2]) : undefined;
      this.#push({
        kind: "make",
        severity: "error",
        tool,
        target,
        message: `No rule to make target '${target}'${needed ? `, needed by '${needed}'` : ""}`,
        lines: [line],
      });
      return true;
    }
    const stop = MAKE_STOP.exec(rest);
    if (stop) {
      this.#push({
        kind: "make",
        severity: "error",
        tool,
        message: asciiQuotes(this.#paths.text(stop[1]!)),
        lines: [line],
      });
    }
    return true;
  }

  #kconfigStart(line: string): boolean {
    const unmet = KCONFIG_UNMET.exec(line);
    if (unmet) {
      this.#kconfig = this.#push({
        kind: "kconfig",
        severity: "warning",
        symbol: unmet[1]!,
        selectors: [],
        message: `unmet direct dependencies detected for ${unmet[1]}`,
        lines: [line],
      });
      return true;
    }
    const m = KCONFIG_FILE.exec(line);
    if (!m) return false;
    this.#push({
      kind: "kconfig",
      severity: m[3] === "error" ? "error" : "warning",
      file: this.#paths.path(m[1]!),
      line: Number(m[2]),
      message: asciiQuotes(this.#paths.text(m[4]!)),
      ...kconfigSymbol(m[4]!),
      lines: [line],
    });
    return true;
  }

  #kconfigLine(line: string): boolean {
    const block = this.#kconfig!;
    const dep = /^ {2}Depends on \[[nmy]\]: (.*)$/.exec(line);
    if (dep) {
      block.depends = dep[1]!;
      block.lines.push(line);
      return true;
    }
    if (/^ {2}(?:Selected|Implied) by \[[nmy]\]:$/.test(line)) {
      block.lines.push(line);
      return true;
    }
    const sel = /^ {2}- (\S+)/.exec(line);
    if (sel) {
      block.selectors = [...new Set([...(block.selectors ?? []), sel[1]!])].sort();
      block.lines.push(line);
      return true;
    }
    return false;
  }

  #modpost(line: string): boolean {
    const undef = MODPOST_UNDEF.exec(line);
    if (undef) {
      this.#push({
        kind: "modpost",
        severity: undef[1] === "ERROR" ? "error" : "warning",
        symbol: undef[2]!,
        object: this.#paths.path(undef[3]!),
        message: `"${undef[2]}" [${this.#paths.path(undef[3]!)}] undefined!`,
        lines: [line],
      });
      return true;
    }
    const m = MODPOST.exec(line);
    if (!m) return false;
    this.#push({
      kind: "modpost",
      severity: m[1] === "ERROR" ? "error" : "warning",
      message: asciiQuotes(this.#paths.text(m[2]!)),
      lines: [line],
    });
    return true;
  }

  #linker(line: string): boolean {
    const m = LD.exec(line);
    if (m) {
      const tool = m[1]!;
      const rest = m[2]!;
      const header = LD_HEADER.exec(rest);
      if (header) {
        this.#ld = { object: this.#paths.path(header[1]!), function: header[2]!, line };
        return true;
      }
      const ref = LD_REF.exec(rest);
      if (ref) {
        this.#ldReference(tool, ref, line);
        return true;
      }
      this.#ld = undefined;
      const warning = /^warning: (.*)$/.exec(rest);
      const obj = /^(\S+\.o): (.*)$/.exec(rest);
      this.#push({
        kind: "linker",
        severity: warning ? "warning" : "error",
        tool,
        ...(obj ? { object: this.#paths.path(obj[1]!) } : {}),
        message: asciiQuotes(this.#paths.text(warning ? warning[1]! : obj ? obj[2]! : rest)),
        lines: [line],
      });
      return true;
    }
    // ld prints some headers bare (a relocation overflow in the final link does), so an
    // object's `in function` line starts a record without the prefix too; gcc says `In`.
    const bare = LD_HEADER.exec(line);
    if (bare && isObject(bare[1]!)) {
      this.#ld = { object: this.#paths.path(bare[1]!), function: bare[2]!, line };
      return true;
    }
    // The first reference under an `in function` header comes without the `ld:` prefix.
    if (this.#ld) {
      const ref = LD_REF.exec(line);
      if (ref) {
        this.#ldReference(undefined, ref, line);
        return true;
      }
    }
    return false;
  }

  #ldReference(tool: string | undefined, ref: RegExpExecArray, line: string): void {
    const where = this.#paths.path(ref[1]!);
    const inObject = isObject(where);
    const object = inObject ? where : this.#ld?.object;
    const fn = this.#ld?.function;
    const msg = ref[4]!;
    const lines = this.#ld && !inObject ? [this.#ld.line, line] : [line];
    const base = {
      ...(tool ? { tool } : {}),
      ...(object ? { object } : {}),
      ...(fn && !inObject ? { function: fn } : {}),
      section: ref[2]!,
      ...(ref[3] ? { offset: ref[3] } : {}),
      lines,
    };
    const undef = /^undefined reference to [`'‘](.+?)['’]$/.exec(msg);
    if (undef) {
      this.#push({
        kind: "linker-undefined",
        severity: "error",
        symbol: undef[1]!,
        message: `undefined reference to '${undef[1]}'`,
        ...base,
      });
      return;
    }
    const multiple = /^multiple definition of [`'‘](.+?)['’]/.exec(msg);
    const reloc = /relocation truncated to fit: \S+ against (?:symbol )?[`'‘](.+?)['’]/.exec(msg) ??
      /relocation \S+ against [`'‘](.+?)['’]/.exec(msg);
    const symbol = multiple?.[1] ?? reloc?.[1];
    // The other object: `…; init/main.o:main.c:(.text+0xcc): first defined here` or
    // `… defined in .data section in init/main.o`.
    const other = /; (.+?\.(?:o|ko|a(?:\(.+?\))?)):.*first defined here$/.exec(msg) ??
      / defined in \S+ section in (\S+)$/.exec(msg);
    this.#push({
      kind: "linker",
      severity: "error",
      ...(symbol ? { symbol } : {}),
      ...(symbol && other ? { definedIn: this.#paths.path(other[1]!) } : {}),
      message: asciiQuotes(this.#paths.text(msg)),
      ...base,
    });
  }

  #assembler(line: string): boolean {
    const header = ASM_HEADER.exec(line);
    if (header) {
      this.#asmFile = header[1]!;
      return true;
    }
    const m = ASM_LINE.exec(line);
    const n = m ? undefined : ASM_NOLINE.exec(line);
    const file = m?.[1] ?? n?.[1];
    if (!file || !(file === this.#asmFile || isAsmSource(file))) return false;
    const severity: Severity = (m?.[3] ?? n?.[2]) === "Warning" ? "warning" : "error";
    const message = asciiQuotes(this.#paths.text((m?.[4] ?? n?.[3])!));
    const temporary = isTemporary(file);
    const draft = this.#push({
      kind: "assembler",
      severity,
      ...(temporary ? {} : { file: this.#paths.path(file) }),
      ...(m && !temporary ? { line: Number(m[2]) } : {}),
      message,
      lines: this.#asmFile === file ? [`${file}: Assembler messages:`, line] : [line],
    });
    if (temporary) this.#asmPending.push(draft);
    return true;
  }

  #compiler(line: string): void {
    let m: RegExpExecArray | null;
    if ((m = CC_FUNCTION.exec(line))) {
      this.#function = { file: this.#paths.path(m[1]!), name: m[2]! };
      this.#included = [];
      return;
    }
    if (CC_TOPLEVEL.test(line)) {
      this.#function = undefined;
      return;
    }
    if ((m = CC_INCLUDED.exec(line))) {
      this.#included = [`${this.#paths.path(m[1]!)}:${m[2]}`];
      return;
    }
    if ((m = CC_FROM.exec(line)) && this.#included.length > 0) {
      this.#included.push(`${this.#paths.path(m[1]!)}:${m[2]}`);
      return;
    }
    if ((m = CC_LINE.exec(line))) {
      const file = this.#paths.path(m[1]!);
      const { message, option } = splitOption(this.#paths.text(m[5]!));
      const fn = this.#function?.file === file ? this.#function.name : undefined;
      const lines = [line];
      if (this.#function?.file === file) lines.unshift(`${m[1]}: In function '${fn}':`);
      this.#current = this.#push({
        kind: "compiler",
        severity: m[4] === "note" ? "note" : m[4] === "warning" ? "warning" : "error",
        file,
        line: Number(m[2]),
        column: Number(m[3]),
        ...(fn ? { function: fn } : {}),
        ...(option ? { option } : {}),
        ...(this.#included.length > 0 ? { included: this.#included } : {}),
        message,
        lines,
      });
      this.#included = [];
      return;
    }
    if ((m = DOC_LINE.exec(line))) {
      this.#current = this.#push({
        kind: "kernel-doc",
        severity: m[3] === "error" ? "error" : "warning",
        file: this.#paths.path(m[1]!),
        line: Number(m[2]),
        message: asciiQuotes(this.#paths.text(m[4]!)),
        lines: [line],
      });
      return;
    }
    if ((m = CC_TOOL.exec(line))) {
      const text = m[3]!;
      if (/warnings being treated as errors$/.test(text)) return;
      const { message, option } = splitOption(this.#paths.text(text));
      this.#current = this.#push({
        kind: "compiler",
        severity: m[2] === "note" ? "note" : m[2] === "warning" ? "warning" : "error",
        tool: m[1]!,
        ...(option ? { option } : {}),
        message,
        lines: [line],
      });
    }
  }
}

function splitOption(text: string): { message: string; option?: string } {
  const m = CC_OPTION.exec(text);
  const message = asciiQuotes(m ? text.slice(0, m.index) : text);
  return m ? { message, option: m[1]! } : { message };
}

function kconfigSymbol(message: string): { symbol?: string } {
  const m = /(?:symbol|for) ['‘]?([A-Z0-9_]+)['’]?/.exec(message);
  return m ? { symbol: m[1]! } : {};
}

function isObject(path: string): boolean {
  return /\.(o|a|ko)$|\.a\(.+\)$/.test(path);
}

function isTemporary(file: string): boolean {
  return file === "{standard input}" || /^\/tmp\/cc\w+\.s$/.test(file);
}

function isAsmSource(file: string): boolean {
  return isTemporary(file) || /\.[sS]$/.test(file);
}

const PREFIX: Record<DiagnosticKind, string> = {
  compiler: "cc",
  assembler: "as",
  "linker-undefined": "ld",
  linker: "ld",
  modpost: "modpost",
  kconfig: "kconfig",
  make: "make",
  "kernel-doc": "doc",
  infra: "infra",
};

/** `[signature, key]`: what failed, `@` where; the key drops line and column. */
function sign(d: Draft): [string, string] {
  const p = PREFIX[d.kind];
  switch (d.kind) {
    case "linker-undefined":
      return same(`ld:undefined:${d.symbol}@${d.object ?? "?"}`);
    case "modpost":
      return same(
        d.symbol && d.object
          ? `modpost:undefined:${d.symbol}@${d.object}`
          : `modpost:${d.severity}:${normalize(d.message)}`,
      );
    case "kconfig":
      if (d.selectors) {
        return same(`kconfig:unmet:${d.symbol}<-${d.selectors.join(",")}`);
      }
      break;
    case "make":
      if (d.target) return same(`make:${d.status ?? "no-rule"}:${d.target}`);
      break;
    case "infra":
      return same(`infra:${d.cause}${d.tool ? `:${d.tool}` : ""}`);
    case "linker": {
      const what = d.symbol
        ? `${/multiple definition/.test(d.message) ? "multiple" : "relocation"}:${d.symbol}`
        : `${d.severity}:${normalize(d.message)}`;
      return same(`ld:${what}${d.object ? `@${d.object}` : ""}`);
    }
  }
  const what = `${p}:${d.severity}:${normalize(d.message)}`;
  const where = d.file ?? d.object ?? d.tool;
  if (!where) return same(what);
  const loc = d.line === undefined
    ? ""
    : `:${d.line}${d.column === undefined ? "" : `:${d.column}`}`;
  return [`${what}@${where}${loc}`, `${what}@${where}`];
}

function same(s: string): [string, string] {
  return [s, s];
}
