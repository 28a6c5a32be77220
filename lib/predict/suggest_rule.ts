/**
 * Rule suggestion: when real builds show an error signature that no rule predicted, the
 * smallest conjunction of symbol values that holds in every cell where the signature appeared
 * and in none where it did not, printed as a `when:` ready to paste into a rule.
 *
 * Each symbol whose value is the same in every cell with the signature is a candidate literal
 * (`CPU_V6`, `!SMP`, `HZ = 100`); a literal excludes the cells without the signature where the
 * symbol has another value. The smallest set of literals excluding them all is a minimum set
 * cover, searched exactly (iterative deepening over the distinct exclusion sets, at most
 * `maxLiterals` literals). Literals that exclude the same cells are equivalent over these
 * cells; one is chosen per set — by the `rank` given (lib/predict keeps one that reads the
 * tree: symbols named where the undefined symbol and the object are) and then by name — and
 * the others are listed as alternatives.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** One cell × variant: its resolved config and whether the signature appeared. */
export interface Observation {
  /** `cell (variant)`, for the messages. */
  id: string;
  /** Symbol → value (`y`, `m`, a number or string; absent or `n` for unset). */
  values: Map<string, string>;
  /** Whether the real build showed the signature. */
  present: boolean;
}

/** One literal of a suggested condition. */
export interface Literal {
  /** The symbol, without `CONFIG_`. */
  symbol: string;
  /** Its value in every cell with the signature (`n` for unset). */
  value: string;
  /** The literal as Kconfig writes it (`CPU_V6`, `!SMP`, `HZ = 100`). */
  text: string;
  /** Literals that exclude the same cells (equivalent over these observations). */
  alternatives: string[];
}

/** A suggested `when` for a signature. */
export interface Suggestion {
  /** The error signature. */
  signature: string;
  /** The conjunction (`CPU_V6 && XEN`); empty when the signature appeared everywhere. */
  when: string;
  /** Its literals. */
  literals: Literal[];
  /** Ids of the cells with the signature. */
  present: string[];
  /** Ids of the cells without it. */
  absent: string[];
}

/** Options for {@linkcode suggestRule}. */
export interface SuggestOptions {
  /** Lower is preferred among equivalent literals (default: all equal, then by name). */
  rank?: (symbol: string) => number;
  /** Largest conjunction searched (default 4). */
  maxLiterals?: number;
}

function literalText(symbol: string, value: string): string {
  if (value === "y") return symbol;
  if (value === "n") return `!${symbol}`;
  if (value === "m") return `${symbol} = m`;
  return `${symbol} = ${/^-?(0x)?[0-9a-fA-F]+$/.test(value) ? value : JSON.stringify(value)}`;
}

/**
 * The smallest conjunction of symbol values separating the cells with a signature from the
 * cells without it, or a reason why there is none.
 *
 * @example Usage
 * ```ts ignore
 * const s = suggestRule("ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o", observations);
 * if (typeof s !== "string") console.log(formatSuggestion(s)); // when: CPU_V6 && XEN
 * ```
 *
 * @param signature The error signature.
 * @param observations Every judged cell × variant, with and without it.
 * @param options How equivalent literals are ranked; the largest conjunction.
 * @returns The suggestion, or a one-line reason when no conjunction separates the cells.
 */
export function suggestRule(
  signature: string,
  observations: readonly Observation[],
  options: SuggestOptions = {},
): Suggestion | string {
  const present = observations.filter((o) => o.present);
  const absent = observations.filter((o) => !o.present);
  if (present.length === 0) return `'${signature}' appeared in no cell`;
  const value = (o: Observation, s: string) => o.values.get(s) ?? "n";
  const names = new Set<string>();
  for (const o of observations) for (const k of o.values.keys()) names.add(k);
  // Candidate literals, grouped by the cells without the signature they exclude.
  const groups = new Map<string, { symbol: string; value: string }[]>();
  for (const s of [...names].sort()) {
    const v = value(present[0]!, s);
    if (present.some((o) => value(o, s) !== v)) continue;
    const key = absent.map((o) => value(o, s) !== v ? "1" : "0").join("");
    if (!key.includes("1")) continue;
    const list = groups.get(key) ?? [];
    list.push({ symbol: s, value: v });
    groups.set(key, list);
  }
  const sets = [...groups.keys()];
  const covered = (chosen: string[]) => absent.every((_, i) => chosen.some((k) => k[i] === "1"));
  let best: string[] | undefined = absent.length === 0 ? [] : undefined;
  const max = options.maxLiterals ?? 4;
  const search = (k: number, from: number, chosen: string[]): boolean => {
    if (chosen.length === k) {
      if (!covered(chosen)) return false;
      best = [...chosen];
      return true;
    }
    for (let i = from; i < sets.length; i++) {
      chosen.push(sets[i]!);
      if (search(k, i + 1, chosen)) return true;
      chosen.pop();
    }
    return false;
  };
  for (let k = 1; !best && k <= Math.min(max, sets.length); k++) search(k, 0, []);
  if (!best) {
    const uncovered = absent.filter((_, i) => !sets.some((k) => k[i] === "1")).map((o) => o.id);
    return uncovered.length > 0
      ? `no symbol value separates '${signature}': ${
        uncovered.join(", ")
      } have the values of the failing cells`
      : `no conjunction of at most ${max} symbol values separates '${signature}'`;
  }
  const rank = options.rank ?? (() => 0);
  const literals = (best as string[]).map((key) => {
    const list = [...groups.get(key)!].sort((a, b) =>
      rank(a.symbol) - rank(b.symbol) || (a.value === "n" ? 1 : 0) - (b.value === "n" ? 1 : 0) ||
      a.symbol.localeCompare(b.symbol)
    );
    const [first, ...rest] = list;
    return {
      symbol: first!.symbol,
      value: first!.value,
      text: literalText(first!.symbol, first!.value),
      alternatives: rest.map((l) => literalText(l.symbol, l.value)),
    };
  }).sort((a, b) => a.symbol.localeCompare(b.symbol));
  return {
    signature,
    when: literals.map((l) => l.text).join(" && "),
    literals,
    present: present.map((o) => o.id),
    absent: absent.map((o) => o.id),
  };
}

/** A suggestion as rule text to paste, with its evidence as comments. */
export function formatSuggestion(s: Suggestion): string {
  const lines = [
    `# suggested for ${s.signature}: present in ${s.present.length} cells (${
      s.present.join(", ")
    }), absent in ${s.absent.length}`,
  ];
  for (const l of s.literals) {
    if (l.alternatives.length === 0) continue;
    const shown = l.alternatives.slice(0, 8).join(", ");
    const more = l.alternatives.length > 8 ? ` and ${l.alternatives.length - 8} more` : "";
    lines.push(`# ${l.text}: equivalent over these cells to ${shown}${more}`);
  }
  lines.push(`when: ${s.when || "y"}`);
  return lines.join("\n");
}

/**
 * A rank that reads the tree. First: symbols named (`CONFIG_X`) in the files that mention the
 * signature's undefined symbol (where the build says it is missing: `CONFIG_CPU_V6` in
 * arch/arm/include/asm/cmpxchg.h for `__bad_cmpxchg`). Then: the symbols of the Makefile lines
 * that put the object, or a directory on its path, into the build (`obj-$(CONFIG_XEN) += xen/`
 * in drivers/Makefile for drivers/xen/grant-table.o). Then the rest.
 *
 * @param src Kernel source tree.
 * @param signature `kind:what:symbol@object`, as parseLog writes it.
 */
export function treeRank(src: string, signature: string): (symbol: string) => number {
  const m = signature.match(/:([A-Za-z_]\w*)@(.+)$/);
  const first = new Set<string>();
  const second = new Set<string>();
  const collect = (text: string, into: Set<string>) => {
    for (const [, n] of text.matchAll(/\bCONFIG_([A-Za-z0-9_]+)/g)) into.add(n!);
  };
  if (m) {
    const [, symbol, object] = m as unknown as [string, string, string];
    const r = new Deno.Command("git", {
      args: ["-C", src, "grep", "-l", "-w", "--", symbol],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    for (const f of new TextDecoder().decode(r.stdout).split("\n").filter((f) => f)) {
      collect(Deno.readTextFileSync(join(src, f)), first);
    }
    // `obj-$(CONFIG_X) += name.o` or `… += dir/` in the parent directory's Makefile.
    for (let path = object; path !== "." && path !== "/"; path = dirname(path)) {
      const parent = dirname(path);
      const name = path === object ? basename(path) : `${basename(path)}/`;
      for (const f of ["Kbuild", "Makefile"]) {
        const file = join(src, parent, f);
        if (!existsSync(file)) continue;
        const text = Deno.readTextFileSync(file).replace(/\\\n/g, " ");
        for (const line of text.split("\n")) {
          const words = line.split(/[\s=+:]+/);
          if (/^\s*obj-\$\(CONFIG_/.test(line) && words.includes(name)) collect(line, second);
        }
      }
    }
  }
  return (s) => first.has(s) ? 0 : second.has(s) ? 1 : 2;
}

/** One judged cell × variant, as results.json records it. */
export interface SuggestRecord {
  /** `cell (variant)`. */
  id: string;
  /** The real `.config` text. */
  config: string;
  /** The real error signatures (causes: make's own `make:` records left out). */
  signatures: string[];
  /** The signatures the rules predicted for it. */
  predicted: string[];
}

/** The symbol values of a `.config` text (`n` for `# CONFIG_X is not set`). */
export function configValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const set = line.match(/^CONFIG_(\w+)=(.*)$/);
    if (set) out.set(set[1]!, set[2]!.replace(/^"(.*)"$/, "$1"));
    const unset = line.match(/^# CONFIG_(\w+) is not set$/);
    if (unset) out.set(unset[1]!, "n");
  }
  return out;
}

/**
 * A suggestion (or the reason there is none) for every real error signature that no rule
 * predicted in some record where it appeared.
 *
 * @param records Every judged record of a run.
 * @param options `rank` per signature (see {@linkcode treeRank}), the largest conjunction.
 */
export function suggestRules(
  records: readonly SuggestRecord[],
  options: { rank?: (signature: string) => (symbol: string) => number; maxLiterals?: number } = {},
): Map<string, Suggestion | string> {
  const unpredicted = new Set<string>();
  for (const r of records) {
    for (const s of r.signatures) if (!r.predicted.includes(s)) unpredicted.add(s);
  }
  const observations = records.map((r) => ({ id: r.id, values: configValues(r.config) }));
  const out = new Map<string, Suggestion | string>();
  for (const signature of [...unpredicted].sort()) {
    out.set(
      signature,
      suggestRule(
        signature,
        observations.map((o, i) => ({ ...o, present: records[i]!.signatures.includes(signature) })),
        {
          ...(options.rank ? { rank: options.rank(signature) } : {}),
          ...(options.maxLiterals ? { maxLiterals: options.maxLiterals } : {}),
        },
      ),
    );
  }
  return out;
}
