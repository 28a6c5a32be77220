/**
 * Compare two sets of build results (base vs patched, two toolchains, or two variants of one
 * run) cell by cell, and render the outcome the way the 0-day bot does: new diagnostics marked
 * `>>`, old ones kept for context.
 *
 * @module
 */
import type { BuildStatus, CellResult, Results } from "../results/model.ts";
import type { Diagnostic } from "../diagnose/diagnostic.ts";

/**
 * The outcome for one cell. `infra` when either side could not be judged (never counted as
 * fixed or regressed); `unmatched` when the cell ran on one side only.
 */
export type Verdict =
  | "fixed"
  | "regressed"
  | "still-failing"
  | "still-passing"
  | "infra"
  | "unmatched";

/** What happened to one diagnostic between base and head. */
export type Change = "new" | "gone" | "kept";

/** One diagnostic and whether head introduced it, fixed it, or kept it. */
export interface DiagnosticChange {
  /** `new` in head only, `gone` in base only, `kept` in both. */
  change: Change;
  /** The record (head's for `new` and `kept`, base's for `gone`). */
  diagnostic: Diagnostic;
}

/** The comparison of one cell. */
export interface CellComparison {
  /** Cell id. */
  cell: string;
  /** Variant of the base record (undefined when the cell ran on the head side only). */
  baseVariant?: string;
  /** Variant of the head record (undefined when the cell ran on the base side only). */
  headVariant?: string;
  /** Base outcome. */
  base?: BuildStatus;
  /** Head outcome. */
  head?: BuildStatus;
  /** The verdict. */
  verdict: Verdict;
  /** Diagnostics of both sides: new and kept in head's order, then gone in base's order. */
  diagnostics: DiagnosticChange[];
}

/** The comparison of two results. */
export interface Comparison {
  /** One entry per matched cell, in base order, then cells only in head. */
  cells: CellComparison[];
  /** How many cells got each verdict. */
  counts: Record<Verdict, number>;
}

/** Options for {@linkcode compareResults}. */
export interface CompareResultsOptions {
  /**
   * Take only base records of this variant. With `headVariant`, records are matched by cell
   * alone: this is how two variants of one `results.json` are compared
   * (`compareResults(r, r, { baseVariant: "2012", headVariant: "fix" })`).
   */
  baseVariant?: string;
  /** Take only head records of this variant. */
  headVariant?: string;
}

/**
 * Compare `head` against `base`. Records are matched by cell and variant, or by cell alone when
 * a variant is chosen for each side. Diagnostics are matched by signature, then by the
 * location-free key (so a patch that moves code does not make its old warnings look new).
 *
 * @example Usage
 * ```ts ignore
 * const results = JSON.parse(await Deno.readTextFile("out/results.json"));
 * const c = compareResults(results, results, { baseVariant: "2012", headVariant: "fix" });
 * console.log(formatComparison(c));
 * ```
 */
export function compareResults(
  base: Results,
  head: Results,
  options: CompareResultsOptions = {},
): Comparison {
  const byVariant = options.baseVariant !== undefined || options.headVariant !== undefined;
  const pick = (rs: Results, variant?: string) =>
    rs.results.filter((r) => variant === undefined || r.variant === variant);
  const id = (r: CellResult) => (byVariant ? r.cell : `${r.cell}\0${r.variant}`);
  const heads = new Map<string, CellResult>();
  for (const r of pick(head, options.headVariant)) heads.set(id(r), r);
  const cells: CellComparison[] = [];
  const used = new Set<string>();
  for (const b of pick(base, options.baseVariant)) {
    const h = heads.get(id(b));
    if (h) used.add(id(b));
    cells.push(compareCell(b, h));
  }
  for (const [k, h] of heads) if (!used.has(k)) cells.push(compareCell(undefined, h));
  const counts: Record<Verdict, number> = {
    "fixed": 0,
    "regressed": 0,
    "still-failing": 0,
    "still-passing": 0,
    "infra": 0,
    "unmatched": 0,
  };
  for (const c of cells) counts[c.verdict]++;
  return { cells, counts };
}

function compareCell(b: CellResult | undefined, h: CellResult | undefined): CellComparison {
  const cell = (b ?? h)!.cell;
  return {
    cell,
    ...(b ? { baseVariant: b.variant, base: b.status } : {}),
    ...(h ? { headVariant: h.variant, head: h.status } : {}),
    verdict: verdict(b?.status, h?.status),
    diagnostics: diffDiagnostics(b?.diagnostics ?? [], h?.diagnostics ?? []),
  };
}

function verdict(base?: BuildStatus, head?: BuildStatus): Verdict {
  if (base === undefined || head === undefined) return "unmatched";
  if (base === "infra" || head === "infra") return "infra";
  if (base === "fail") return head === "pass" ? "fixed" : "still-failing";
  return head === "fail" ? "regressed" : "still-passing";
}

/**
 * Which of `head`'s diagnostics are new and which of `base`'s are gone: matched by signature
 * first, then by key (location-free), each base record matched at most once.
 */
export function diffDiagnostics(
  base: readonly Diagnostic[],
  head: readonly Diagnostic[],
): DiagnosticChange[] {
  const unmatched = new Set(base.map((_, i) => i));
  const take = (pred: (d: Diagnostic) => boolean): boolean => {
    for (const i of unmatched) {
      if (pred(base[i]!)) {
        unmatched.delete(i);
        return true;
      }
    }
    return false;
  };
  const headMatched = head.map((d) => take((b) => b.signature === d.signature));
  const out: DiagnosticChange[] = head.map((d, i) => ({
    change: headMatched[i] || take((b) => b.key === d.key) ? "kept" : "new",
    diagnostic: d,
  }));
  for (const i of [...unmatched].sort((x, y) => x - y)) {
    out.push({ change: "gone", diagnostic: base[i]! });
  }
  return out;
}

/** Options for {@linkcode formatComparison}. */
export interface FormatComparisonOptions {
  /** Show `still-passing` cells without new diagnostics too (default false). */
  all?: boolean;
  /** Show only errors, like the 0-day bot's "All errors" section (default false: warnings too). */
  errorsOnly?: boolean;
}

const WORDS: Record<Verdict, string> = {
  "fixed": "fixed",
  "regressed": "regressed",
  "still-failing": "still failing",
  "still-passing": "still passing",
  "infra": "infra",
  "unmatched": "unmatched",
};

/**
 * Render a comparison for a terminal or a mail: one block per cell, the diagnostics of head
 * with `>> ` before new ones and three spaces before old ones, then base's fixed ones with
 * `<< `, and a count line.
 */
export function formatComparison(c: Comparison, options: FormatComparisonOptions = {}): string {
  const blocks: string[] = [];
  for (const cell of c.cells) {
    const shown = cell.diagnostics.filter((d) =>
      !options.errorsOnly || d.diagnostic.severity === "error"
    );
    const changed = shown.some((d) => d.change !== "kept");
    if (cell.verdict === "still-passing" && !changed && !options.all) continue;
    const variants = cell.baseVariant === cell.headVariant
      ? `${cell.baseVariant ?? cell.headVariant}`
      : `${cell.baseVariant ?? "-"} -> ${cell.headVariant ?? "-"}`;
    const lines = [
      `${cell.cell} [${variants}]: ${WORDS[cell.verdict]} (${cell.base ?? "-"} -> ${
        cell.head ?? "-"
      })`,
    ];
    const current = shown.filter((d) => d.change !== "gone");
    const gone = shown.filter((d) => d.change === "gone");
    if (current.length > 0) {
      lines.push(
        options.errorsOnly
          ? "All errors (new ones prefixed by >>):"
          : "All diagnostics (new ones prefixed by >>):",
      );
      for (const d of current) {
        lines.push(...mark(d.change === "new" ? ">> " : "   ", d.diagnostic));
      }
    }
    if (gone.length > 0) {
      lines.push("Gone (prefixed by <<):");
      for (const d of gone) lines.push(...mark("<< ", d.diagnostic));
    }
    blocks.push(lines.join("\n"));
  }
  const n = c.counts;
  blocks.push(
    `${c.cells.length} cells: ${n.fixed} fixed, ${n.regressed} regressed, ${
      n["still-failing"]
    } still failing, ${n["still-passing"]} still passing, ${n.infra} infra` +
      (n.unmatched ? `, ${n.unmatched} unmatched` : ""),
  );
  return blocks.join("\n\n");
}

function mark(prefix: string, d: Diagnostic): string[] {
  const text = d.text || d.message;
  return text.split("\n").map((l) => `${prefix}${l}`);
}
