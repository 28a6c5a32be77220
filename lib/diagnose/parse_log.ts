/**
 * Turn a kernel build log into typed, signed diagnostics.
 *
 * The parser reads the log line by line and joins multi-line records: gcc's and clang's
 * `In function` context, `In file included from` chains, source excerpts, caret lines and notes;
 * ld's `in function` header and the reference lines under it (GNU ld with or without debug info,
 * ld.lld's `>>>` lines); modpost's multi-line reports; make's `***` explanation blocks;
 * Kconfig's unmet-dependency block. CI timestamp prefixes are removed first. Records with the
 * same signature (parallel make prints some twice) are collapsed, keeping a `count`.
 *
 * @module
 */
import type { BuildStatus } from "../results/model.ts";
import type { Diagnostic, DiagnosticKind, InfraCause, Severity } from "./diagnostic.ts";
import { asciiQuotes, enteredDirs, normalize, PathStripper, stripTimestamp } from "./_paths.ts";

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
  const lines = log.split("\n").map(stripTimestamp);
  const parser = new LogParser(new PathStripper([options, enteredDirs(lines)]));
  for (const line of lines) parser.line(line);
  return parser.finish();
}

/** Whether any diagnostic is an infrastructure failure (toolchain missing, killed, no space). */
export function isInfra(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.kind === "infra");
}

/**
 * The outcome a log shows: `fail` when a tool judged the kernel (compiler, assembler, linker,
 * modpost, Kconfig, kernel-doc) and reported an error before the machine failed; `infra` when
 * the machine failed (toolchain missing, killed, no space, out of memory) with no such verdict
 * before it: the build could not be judged, whatever errors follow; else `fail` when there is
 * an error, `pass` when there is none.
 *
 * A failure first and a helper's `/bin/sh: 1: clang: not found` after it is `fail`: the build
 * was judged before the helper ran. make's own `*** [...] Error N` lines are consequences, not
 * verdicts: a recipe that died of a full disk fails make before the disk error is printed.
 *
 * @param log The build log.
 * @param diagnostics Its diagnostics when already parsed, in log order (default: parse `log`).
 */
export function classifyLog(log: string, diagnostics?: readonly Diagnostic[]): BuildStatus {
  const diags = diagnostics ?? parseLog(log);
  const infra = diags.findIndex((d) => d.kind === "infra");
  if (infra >= 0 && !diags.slice(0, infra).some(isVerdict)) return "infra";
  return diags.some((d) => d.severity === "error" && d.kind !== "infra") ? "fail" : "pass";
}

function isVerdict(d: Diagnostic): boolean {
  return d.severity === "error" && d.kind !== "infra" && d.kind !== "make";
}

/** A record being built: the signature is computed once the record is complete. */
interface Draft extends Omit<Diagnostic, "signature" | "key" | "text" | "count"> {
  lines: string[];
  /** A signature fixed when the record was read (modpost mismatch and export reports). */
  signed?: string;
  /** modpost said `FATAL` (it stopped), not `ERROR`. */
  fatal?: boolean;
  /**
   * Lines that say there is more of the record (`more undefined references to 'sym' follow`,
   * `>>> referenced 4 more times`): they go on the record kept when duplicates collapse.
   */
  more?: string[];
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
      /(?:^|: )([^\s/:]*(?:gcc|g\+\+|-cc|-ld|-as|-ar|-nm|objcopy|objdump|-strip|clang|ld\.lld|llvm-\w+|ccache)(?:-\d+)?): (?:[Cc]ommand not found|not found|No such file or directory)$/,
    cause: "toolchain",
    tool: true,
  },
];

const CARET = /^ *\d* \|( |$)/; // gcc ≥ 9: source excerpt and caret under a `NN |` gutter
const BARE_CARET = /^\s*[~^][~^ ]*$/; // clang (and gcc < 9): a caret line with no gutter
const QUIET = /^ {2}[A-Z0-9_]+ {2,}\S/; // Kbuild's `  CC      kernel/fork.o`
const MAKE = /^(make(?:\[\d+\])?): (.*)$/;
const MAKE_RECIPE = /^\*\*\* \[(?:(.+?):(\d+): )?(.+?)\] Error (\d+)$/;
const MAKE_NO_RULE =
  /^\*\*\* No rule to make target ['‘`](.+?)['’](?:, needed by ['‘`](.+?)['’])?\.\s+Stop\.$/;
const MAKE_STOP = /^\*\*\* (.+?)\.\s+Stop\.$/;
const MAKEFILE_STOP = /^(\S+?):(\d+): \*\*\* (.+?)\.\s+Stop\.$/;
/** A Makefile's `@echo '*** …'` explanation, printed before the `exit 1` that fails make. */
const MAKE_BLOCK = /^\*\*\*(?: (.*))?$/;
const KCONFIG_UNMET = /^WARNING: unmet direct dependencies detected for (\S+)$/;
const KCONFIG_FILE = /^(\S+?):(\d+):(warning|error): ?(.*)$/;
const MODPOST_UNDEF = /^(ERROR|WARNING): modpost: "(.+?)" \[(.+?)\] undefined!$/;
const MODPOST = /^(ERROR|WARNING|FATAL): modpost: (.+)$/;
// Linux ≥ 6.1: `vmlinux.o: section mismatch in reference: f (section: .text) -> g (section: .init.text)`
const MISMATCH =
  /^(\S+): section mismatch in reference: (\S+) \(section: (\S+)\) -> (\S+) \(section: (\S+)\)$/;
// Before 6.1, and the __ex_table report still: `vmlinux.o(.text+0x4): Section mismatch in
// reference from the function f() to the function .init.text:g()`.
const MISMATCH_OLD =
  /^(\S+?)\((\S+?)(?:\+(0x[0-9a-f]+))?\): Section mismatch in reference from the (?:function|variable|\(unknown reference\)) (\S+?)(?:\(\))? to the (?:function|variable|\(unknown reference\)) (\S+?):(\S+?)(?:\(\))?$/;
const EXPORT_INIT = /^(\S+): EXPORT_SYMBOL used for init\/exit symbol: (\S+) \(section: (\S+)\)$/;
// `arm-linux-gnueabi-ld`, `/usr/bin/ld`, `ld.bfd`, `ld.lld`, `ld.lld-14`: one quantifier, so
// that a long line without a linker fails in linear time.
const LD = /^((?:[^\s:]*[/-])?ld(?:\.bfd|\.gold|\.lld)?(?:-\d+)?): (.*)$/;
const LD_HEADER = /^(.+?): in function [`'‘](.+?)['’]:$/;
const LD_REF = /^(.+?):\((\.[^+)]*)(?:\+(0x[0-9a-f]+))?\): (.+)$/;
// With debug info ld names the source line instead of the section: `fixdep.c:400: undefined …`.
const LD_LINE_REF =
  /^(.+?):(\d+): ((?:undefined reference|more undefined references|multiple definition|relocation truncated) .+)$/;
const LD_MORE = /^more undefined references to [`'‘](.+?)['’] follow$/;
const LLD_UNDEF = /^undefined symbol: (.+)$/;
const LLD_DUP = /^duplicate symbol: (.+)$/;
const LLD_REFBY = /^>>> referenced by (\S+?)(?::(\d+))?(?: \((.+?)(?::(\d+))?\))?$/;
const LLD_DEFAT = /^>>> defined at (\S+?)(?::(\d+))?(?: \((.+?)(?::(\d+))?\))?$/;
const LLD_OBJECT = /^>>> {2,}(\S+?):\((.+?)\)(?: in archive (\S+))?$/;
const ASM_HEADER = /^(.+?): Assembler messages:$/;
const ASM_LINE = /^(.+?):(\d+): (Error|Warning|Fatal error): (.+)$/;
const ASM_NOLINE = /^(.+?): (Error|Warning|Fatal error): (.+)$/;
const CC_FUNCTION = /^(.+?): In (?:static |member )?function ['‘](.+?)['’]:$/;
const CC_TOPLEVEL = /^(.+?): At top level:$/;
const CC_INCLUDED = /^In file included from (.+?):(\d+)[,:]$/;
const CC_FROM = /^ +from (.+?):(\d+)[,:]$/;
const CC_LINE = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;
const CC_SUMMARY = /^\d+ (?:warning|error)s?(?: and \d+ (?:warning|error)s?)? generated\.$/;
const DOC_LINE = /^(.+?\.[ch]):(\d+): (warning|error): (.*)$/;
const CC_TOOL =
  /^(cc1|cc1plus|\S*gcc(?:-\d+)?|clang(?:-\d+)?): (fatal error|error|warning|note): (.*)$/;
const CC_OPTION = / \[(-W[^\]\s]+|-f[^\]\s]+|enabled by default)\]$/;
/** Lines that start something (a record, a context, a make or Kbuild line): never a continuation. */
const START =
  /^(?:make(?:\[\d+\])?: |In file included from |\*\*\*|(?:ERROR|WARNING|FATAL): |>>> |\s+from \S+:\d+[,:]$)|^\S+:\d+:(?:\d+:)? |: (?:In (?:static |member )?function|At top level:$|Assembler messages:$|in function)|^\S*(?:ld(?:\.\w+)?|gcc|cc1|clang(?:-\d+)?): /;

/** Where a clang-style excerpt (no gutter) stands after a compiler record. */
type Excerpt = "none" | "source" | "caret" | "fixit";

class LogParser {
  #paths: PathStripper;
  #drafts: Draft[] = [];
  /** The record continuation lines (carets, notes, kernel-doc excerpts) belong to. */
  #current: Draft | undefined;
  #excerpt: Excerpt = "none";
  #function: { file: string; name: string } | undefined;
  /** The `In file included from` chain and the file its records are in, once known. */
  #included: string[] = [];
  #includedFile: string | undefined;
  /** The chain's log lines, for the text of the first record it applies to. */
  #includedLines: string[] = [];
  #asmFile: string | undefined;
  /** Assembler records from a temporary `.s`: the next failing make target names the object. */
  #asmPending: Draft[] = [];
  /** Linker records from a compiler temporary (`/tmp/ccXXXXXX.o`): likewise, any target. */
  #ldPending: Draft[] = [];
  /** The `in function` header ld printed; `object` is unset for a compiler temporary. */
  #ld: { object?: string; temporary: boolean; function: string; line: string } | undefined;
  /** An ld.lld error whose `>>>` lines are being read. */
  #lld: LldError | undefined;
  #kconfig: Draft | undefined;
  /** make's `***` explanation lines, waiting for the make error they explain. */
  #block: string[] = [];

  constructor(paths: PathStripper) {
    this.#paths = paths;
  }

  line(line: string): void {
    if (this.#kconfig && this.#kconfigLine(line)) return;
    this.#kconfig = undefined;
    if (this.#lld && this.#lldLine(line)) return;
    if (this.#lld) this.#lldEnd();
    if (this.#current && this.#continuation(line)) return;
    this.#current = undefined;
    if (line.trim() === "") return;
    if (QUIET.test(line)) {
      this.#block = [];
      return;
    }
    if (this.#infra(line)) return;
    if (this.#makeBlock(line)) return;
    if (this.#make(line)) return;
    this.#block = [];
    if (this.#kconfigStart(line)) return;
    if (this.#modpost(line)) return;
    if (this.#linker(line)) return;
    this.#ld = undefined;
    if (this.#assembler(line)) return;
    this.#compiler(line);
  }

  finish(): Diagnostic[] {
    if (this.#lld) this.#lldEnd();
    const out = new Map<string, Diagnostic>();
    for (const draft of this.#drafts) {
      const { lines, signed: _, fatal: __, more, ...fields } = draft;
      const [signature, key] = sign(draft);
      const seen = out.get(signature);
      if (seen) {
        seen.count++;
        if (more) seen.text = [seen.text, ...more].join("\n");
        continue;
      }
      if (more) lines.push(...more);
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
    if (cur.kind === "compiler") return this.#compilerContinuation(cur, line);
    if (cur.kind === "kernel-doc" && /^ ?\*|^\/\*\*/.test(line)) {
      cur.lines.push(line);
      return true;
    }
    // modpost explains on the lines after its `FATAL:`/`ERROR:` line (`Set CONFIG_… to allow
    // them.`, the __ex_table report): joined until a line that starts something else.
    if (
      cur.kind === "modpost" && /^\S/.test(line) && !START.test(line) && !QUIET.test(line)
    ) {
      cur.lines.push(line);
      cur.message = `${cur.message} ${asciiQuotes(this.#paths.text(line.trim()))}`;
      return true;
    }
    return false;
  }

  #compilerContinuation(cur: Draft, line: string): boolean {
    if (CARET.test(line)) {
      cur.lines.push(line);
      this.#excerpt = "fixit"; // gcc's gutter: no bare excerpt lines follow
      return true;
    }
    if (cur.severity !== "note") {
      const m = CC_LINE.exec(line);
      if (m && m[4] === "note") {
        const file = this.#paths.path(m[1]!);
        cur.notes ??= [];
        cur.notes.push(`${file}:${m[2]}:${m[3]}: ${asciiQuotes(this.#paths.text(m[5]!))}`);
        cur.lines.push(line);
        this.#excerpt = "none";
        return true;
      }
    }
    // clang prints the source line bare, then a caret line, then maybe a fix-it line.
    if (cur.file === undefined || line.trim() === "") return false;
    if (this.#excerpt !== "fixit" && BARE_CARET.test(line)) {
      cur.lines.push(line);
      this.#excerpt = "caret";
      return true;
    }
    if (this.#excerpt === "none" || (this.#excerpt === "caret" && /^\s/.test(line))) {
      if (START.test(line) || QUIET.test(line) || CC_SUMMARY.test(line)) return false;
      cur.lines.push(line);
      this.#excerpt = this.#excerpt === "none" ? "source" : "fixit";
      return true;
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

  #makeBlock(line: string): boolean {
    if (!MAKE_BLOCK.test(line)) return false;
    this.#block.push(line);
    return true;
  }

  /** A make error, with the `***` block printed just before it joined to its message. */
  #makeError(draft: Draft): void {
    const explained = this.#block.map((l) => MAKE_BLOCK.exec(l)?.[1]?.trim()).filter(Boolean);
    if (explained.length > 0) {
      draft.message = `${draft.message}: ${asciiQuotes(this.#paths.text(explained.join(" ")))}`;
      draft.lines = [...this.#block, ...draft.lines];
    }
    this.#block = [];
    this.#push(draft);
  }

  #make(line: string): boolean {
    const mf = MAKEFILE_STOP.exec(line);
    if (mf) {
      this.#makeError({
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
    this.#included = [];
    const recipe = MAKE_RECIPE.exec(rest);
    if (recipe) {
      const target = this.#paths.path(recipe[3]!);
      if (/\.(o|ko|a)$/.test(target)) {
        for (const d of this.#asmPending) d.object ??= target;
        this.#asmPending = [];
      }
      // A host program gcc compiled and linked in one step: its temporary object has no
      // name that lasts, the program does.
      for (const d of this.#ldPending) d.object ??= target;
      this.#ldPending = [];
      // `Error 2` is a sub-make reporting that something below it failed: a cascade.
      if (recipe[4] === "2") return true;
      this.#makeError({
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
      this.#makeError({
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
      this.#makeError({
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
    const severity: Severity = m[1] === "WARNING" ? "warning" : "error";
    const text = m[2]!;
    const message = asciiQuotes(this.#paths.text(text));
    const mismatch = MISMATCH.exec(text);
    const old = mismatch ? undefined : MISMATCH_OLD.exec(text);
    if (mismatch || old) {
      // [module, from section, offset, from symbol, to section, to symbol]
      const [mod, fromSec, offset, from, toSec, to] = mismatch
        ? [mismatch[1]!, mismatch[3]!, undefined, mismatch[2]!, mismatch[5]!, mismatch[4]!]
        : [old![1]!, old![2]!, old![3], old![4]!, old![5]!, old![6]!];
      const object = this.#paths.path(mod);
      this.#current = this.#push({
        kind: "modpost",
        severity,
        object,
        // An `__ex_table` entry names no symbol: modpost says `(unknown)`.
        ...(from === "(unknown)" ? {} : { function: from }),
        ...(to === "(unknown)" ? {} : { symbol: to }),
        section: fromSec,
        ...(offset ? { offset } : {}),
        message,
        lines: [line],
        signed: `modpost:mismatch:${fromSec}:${from}->${toSec}:${to}@${object}`,
      });
      return true;
    }
    const exp = EXPORT_INIT.exec(text);
    if (exp) {
      const object = this.#paths.path(exp[1]!);
      this.#push({
        kind: "modpost",
        severity,
        object,
        symbol: exp[2]!,
        message,
        lines: [line],
        signed: `modpost:export-init:${exp[2]}@${object}`,
      });
      return true;
    }
    // FATAL stops modpost; its message, like `Section mismatches detected.`, goes on below.
    // The first sentence is what failed: the signature keeps it alone.
    this.#current = this.#push({
      kind: "modpost",
      severity,
      tool: "modpost",
      message,
      lines: [line],
      ...(m[1] === "FATAL" ? { fatal: true } : {}),
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
        this.#ldHeader(header, line);
        return true;
      }
      const ref = LD_REF.exec(rest);
      if (ref) {
        this.#ldReference(tool, { where: ref[1]!, section: ref[2], offset: ref[3] }, ref[4]!, line);
        return true;
      }
      const lineRef = LD_LINE_REF.exec(rest);
      if (lineRef) {
        this.#ldReference(
          tool,
          { where: lineRef[1]!, line: Number(lineRef[2]) },
          lineRef[3]!,
          line,
        );
        return true;
      }
      this.#ld = undefined;
      const lld = /^(error|warning): (.*)$/.exec(rest);
      if (lld && /ld\.lld/.test(tool)) {
        this.#lld = {
          tool,
          severity: lld[1] === "warning" ? "warning" : "error",
          message: lld[2]!,
          lines: [line],
          made: [],
        };
        return true;
      }
      const warning = /^warning: (.*)$/.exec(rest);
      const obj = /^(\S+\.o): (.*)$/.exec(rest);
      const object = obj && !isTemporaryObject(obj[1]!) ? this.#paths.path(obj[1]!) : undefined;
      this.#push({
        kind: "linker",
        severity: warning ? "warning" : "error",
        tool,
        ...(object ? { object } : {}),
        message: asciiQuotes(this.#paths.text(warning ? warning[1]! : obj ? obj[2]! : rest)),
        lines: [line],
      });
      return true;
    }
    // ld prints some headers bare (a relocation overflow in the final link does), so an
    // object's `in function` line starts a record without the prefix too; gcc says `In`.
    const bare = LD_HEADER.exec(line);
    if (bare && isObject(bare[1]!)) {
      this.#ldHeader(bare, line);
      return true;
    }
    // The first reference under an `in function` header comes without the `ld:` prefix.
    if (this.#ld) {
      const ref = LD_REF.exec(line);
      if (ref) {
        this.#ldReference(
          undefined,
          { where: ref[1]!, section: ref[2], offset: ref[3] },
          ref[4]!,
          line,
        );
        return true;
      }
      const lineRef = LD_LINE_REF.exec(line);
      if (lineRef) {
        this.#ldReference(
          undefined,
          { where: lineRef[1]!, line: Number(lineRef[2]) },
          lineRef[3]!,
          line,
        );
        return true;
      }
    }
    return false;
  }

  #ldHeader(header: RegExpExecArray, line: string): void {
    const temporary = isTemporaryObject(header[1]!);
    this.#ld = {
      ...(temporary ? {} : { object: this.#paths.path(header[1]!) }),
      temporary,
      function: header[2]!,
      line,
    };
  }

  #ldReference(tool: string | undefined, at: LdPlace, msg: string, line: string): void {
    const more = LD_MORE.exec(msg);
    if (more) {
      // `more undefined references to 'sym' follow`: the record of that symbol goes on.
      const prev = this.#drafts.findLast((d) =>
        d.kind === "linker-undefined" && d.symbol === more[1]
      );
      if (prev) {
        (prev.more ??= []).push(line);
        return;
      }
    }
    const temporary = isTemporaryObject(at.where) ||
      (!isObject(at.where) && this.#ld?.temporary === true);
    const where = this.#paths.path(at.where);
    const inObject = isObject(at.where);
    const object = temporary ? undefined : inObject ? where : this.#ld?.object;
    const fn = this.#ld?.function;
    const lines = this.#ld && !inObject ? [this.#ld.line, line] : [line];
    const base = {
      ...(tool ? { tool } : {}),
      ...(object ? { object } : {}),
      ...(fn && !inObject ? { function: fn } : {}),
      ...(at.line !== undefined ? { file: where, line: at.line } : {}),
      ...(at.section ? { section: at.section } : {}),
      ...(at.offset ? { offset: at.offset } : {}),
      lines,
    };
    const undef = /^(?:more )?undefined references? to [`'‘](.+?)['’](?: follow)?$/.exec(msg);
    if (undef) {
      this.#pendingIf(
        temporary,
        this.#push({
          kind: "linker-undefined",
          severity: "error",
          symbol: undef[1]!,
          message: `undefined reference to '${undef[1]}'`,
          ...base,
        }),
      );
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
    this.#pendingIf(
      temporary,
      this.#push({
        kind: "linker",
        severity: "error",
        ...(symbol ? { symbol } : {}),
        ...(symbol && other && !isTemporaryObject(other[1]!)
          ? { definedIn: this.#paths.path(other[1]!) }
          : {}),
        message: asciiQuotes(this.#paths.text(normalizeTemporary(msg))),
        ...base,
      }),
    );
  }

  #pendingIf(temporary: boolean, draft: Draft): void {
    if (temporary) this.#ldPending.push(draft);
  }

  /** One `>>>` line under an ld.lld error; false when the line is not one. */
  #lldLine(line: string): boolean {
    if (!line.startsWith(">>> ")) return false;
    const e = this.#lld!;
    const refBy = LLD_REFBY.exec(line) ?? LLD_DEFAT.exec(line);
    if (refBy) {
      const path = refBy[3] ?? refBy[1]!;
      const at = refBy[4] ?? refBy[2];
      e.at = { file: this.#paths.path(path), ...(at ? { line: Number(at) } : {}), lines: [line] };
      return true;
    }
    const obj = LLD_OBJECT.exec(line);
    if (obj) {
      this.#lldRecord(obj, line);
      return true;
    }
    // `>>> referenced 3 more times`, `>>> did you mean: …`, `>>> defined in: …`
    const last = e.made.at(-1);
    if (last) (last.more ??= []).push(line);
    else e.lines.push(line);
    return true;
  }

  /** The record of one object named under an ld.lld error. */
  #lldRecord(obj: RegExpExecArray, line: string): void {
    const e = this.#lld!;
    const temporary = isTemporaryObject(obj[1]!);
    const object = temporary ? undefined : this.#paths.path(obj[1]!);
    const inside = obj[2]!;
    // `(function)` with debug or symbol info, `(.text+0x1c)` without.
    const sec = /^(\.[^+]*)(?:\+(0x[0-9a-f]+))?$/.exec(inside);
    const where = {
      ...(object ? { object } : {}),
      ...(sec ? { section: sec[1]!, ...(sec[2] ? { offset: sec[2] } : {}) } : { function: inside }),
      ...(e.at?.line !== undefined ? { file: e.at.file, line: e.at.line } : {}),
    };
    const lines = [e.lines[0]!, ...(e.at?.lines ?? []), line];
    e.at = undefined;
    const undef = LLD_UNDEF.exec(e.message);
    const dup = LLD_DUP.exec(e.message);
    if (dup && e.made.length === 0 && !e.firstDef) {
      // `duplicate symbol`: the first `defined at` is the definition already linked.
      e.firstDef = object ?? "?";
      e.lines.push(...lines.slice(1));
      return;
    }
    const draft: Draft = undef
      ? {
        kind: "linker-undefined",
        severity: e.severity,
        tool: e.tool,
        symbol: undef[1]!,
        message: `undefined reference to '${undef[1]}'`,
        ...where,
        lines,
      }
      : {
        kind: "linker",
        severity: e.severity,
        tool: e.tool,
        ...(dup ? { symbol: dup[1]!, ...(e.firstDef ? { definedIn: e.firstDef } : {}) } : {}),
        message: dup
          ? `multiple definition of '${dup[1]}'`
          : asciiQuotes(this.#paths.text(e.message)),
        ...where,
        lines: dup ? [...e.lines, ...lines.slice(1)] : lines,
      };
    e.made.push(draft);
    this.#pendingIf(temporary, this.#push(draft));
  }

  /** An ld.lld error that named no object: one record from its message. */
  #lldEnd(): void {
    const e = this.#lld!;
    this.#lld = undefined;
    if (e.made.length > 0) return;
    const undef = LLD_UNDEF.exec(e.message);
    // `vmlinux.o:(.text+0x12): relocation R_ARM_ABS16 out of range: …; references sym`
    const obj = /^(\S+\.o):(?:\((\.[^+)]*)(?:\+(0x[0-9a-f]+))?\):)? (.*)$/.exec(e.message);
    const object = obj && !isTemporaryObject(obj[1]!) ? this.#paths.path(obj[1]!) : undefined;
    const reloc = /^relocation \S+ out of range: .*; references '?([^\s']+)'?$/.exec(
      obj?.[4] ?? "",
    );
    this.#push({
      kind: undef ? "linker-undefined" : "linker",
      severity: e.severity,
      tool: e.tool,
      ...(undef ? { symbol: undef[1]! } : reloc ? { symbol: reloc[1]! } : {}),
      ...(object ? { object } : {}),
      ...(obj?.[2] ? { section: obj[2] } : {}),
      ...(obj?.[3] ? { offset: obj[3] } : {}),
      message: undef
        ? `undefined reference to '${undef[1]}'`
        : asciiQuotes(this.#paths.text(normalizeTemporary(e.message))),
      lines: e.lines,
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
      const file = this.#paths.path(m[1]!);
      this.#function = { file, name: m[2]! };
      // A chain read just before belongs to this function's file (a static inline in a
      // header); a function in another file is compiled without one.
      if (this.#includedFile === undefined) this.#includedFile = file;
      else if (this.#includedFile !== file) this.#included = [];
      return;
    }
    if (CC_TOPLEVEL.test(line)) {
      this.#function = undefined;
      return;
    }
    if ((m = CC_INCLUDED.exec(line))) {
      this.#included = [`${this.#paths.path(m[1]!)}:${m[2]}`];
      this.#includedFile = undefined;
      this.#includedLines = [line];
      return;
    }
    if ((m = CC_FROM.exec(line)) && this.#included.length > 0) {
      this.#included.push(`${this.#paths.path(m[1]!)}:${m[2]}`);
      this.#includedLines.push(line);
      return;
    }
    if ((m = CC_LINE.exec(line))) {
      const file = this.#paths.path(m[1]!);
      const { message, option } = splitOption(this.#paths.text(m[5]!));
      const fn = this.#function?.file === file ? this.#function.name : undefined;
      const lines = [line];
      if (this.#function?.file === file) lines.unshift(`${m[1]}: In function '${fn}':`);
      const chained = this.#included.length > 0 &&
        (this.#includedFile === undefined || this.#includedFile === file);
      if (chained) this.#includedFile = file;
      else this.#included = [];
      if (chained) lines.unshift(...this.#includedLines);
      this.#includedLines = [];
      const included = chained ? [...this.#included] : undefined;
      this.#current = this.#push({
        kind: "compiler",
        severity: m[4] === "note" ? "note" : m[4] === "warning" ? "warning" : "error",
        file,
        line: Number(m[2]),
        column: Number(m[3]),
        ...(fn ? { function: fn } : {}),
        ...(option ? { option } : {}),
        ...(included ? { included, source: included.at(-1)!.replace(/:\d+$/, "") } : {}),
        message,
        lines,
      });
      this.#excerpt = "none";
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
      // The driver repeating that the linker failed: the linker's own lines say what.
      if (/^(?:linker command failed|ld returned) /.test(text)) return;
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

/** Where ld says a reference is: `file.c:(.text+0x4f8)` or, with debug info, `file.c:775`. */
interface LdPlace {
  where: string;
  section?: string | undefined;
  offset?: string | undefined;
  line?: number;
}

/** An ld.lld error and its `>>>` lines read so far. */
interface LldError {
  tool: string;
  severity: Severity;
  /** After `error: `: `undefined symbol: foo`. */
  message: string;
  lines: string[];
  /** The last `>>> referenced by`/`>>> defined at` line, waiting for its object line. */
  at?: { file: string; line?: number; lines: string[] } | undefined;
  /** `duplicate symbol`: the object of the first definition. */
  firstDef?: string;
  /** The records made, one per object line. */
  made: Draft[];
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

/** gcc's `/tmp/ccOQ2UU5.o` and clang's `/tmp/fixdep-4f1a2b.o`: a new name every run. */
function isTemporaryObject(path: string): boolean {
  return /^\/(?:var\/)?tmp\/(?:cc\w{6}|[\w.+]+-[a-zA-Z0-9]{6})\.o$/.test(path);
}

function normalizeTemporary(s: string): string {
  return s.replace(/\/(?:var\/)?tmp\/(?:cc\w{6}|[\w.+]+-[a-zA-Z0-9]{6})\.o\b/g, "<tmp>");
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
  if (d.signed) return same(d.signed);
  switch (d.kind) {
    case "linker-undefined":
      return same(`ld:undefined:${d.symbol ?? "?"}@${d.object ?? "?"}`);
    case "modpost": {
      if (d.symbol && d.object) return same(`modpost:undefined:${d.symbol}@${d.object}`);
      const first = /^.*?[.!?](?=\s|$)/.exec(d.message)?.[0] ?? d.message;
      return same(`modpost:${d.fatal ? "fatal" : d.severity}:${normalize(first)}`);
    }
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
