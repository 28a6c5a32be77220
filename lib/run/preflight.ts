/**
 * The checks a run makes before its first build, so bad input stops it in seconds, with one
 * line saying where and what to do, before any result is written or moved: the output
 * directory can be written, every toolchain is installed in the runtime, every variant's
 * patches apply and its Kconfig parses, and every fragment line names a symbol the tree
 * defines (with the nearest defined names when it does not).
 *
 * @module
 */
import { dirname, relative, resolve } from "node:path";
import { existsSync } from "node:fs";
import type { Cell, Matrix, Variant } from "../matrix/load_matrix.ts";
import type { Runtime } from "../environment/runtime.ts";
import { toolchainIdentity } from "../environment/toolchain_profile.ts";
import { ensureTree } from "../tree/kernel_tree.ts";
import { prepareVariant } from "../patch/variant_tree.ts";
import { kconfigFor } from "../predict/predict_cell.ts";
import { InputError } from "../errors.ts";
import { LocatedError } from "../matrix/located_error.ts";

/** Options for {@linkcode preflight}. */
export interface PreflightOptions {
  /** The cells the run builds. */
  cells: Cell[];
  /** The variants the run builds. */
  variants: Variant[];
  /** The runtime the builds run in. */
  runtime: Runtime;
  /** Where results.json goes. */
  outDir: string;
  /** Called with a line of progress for each slow step. */
  onProgress?: (line: string) => void;
}

/**
 * Check everything a run needs that can be checked without building; throws an
 * {@linkcode InputError} (or a {@linkcode LocatedError}) for the first problem.
 */
export async function preflight(matrix: Matrix, options: PreflightOptions): Promise<void> {
  const progress = options.onProgress ?? (() => {});
  await checkWritable(options.outDir);
  await options.runtime.prepare(progress);
  checkToolchains(options.cells, options.runtime);
  const tree = await ensureTree(matrix.tree, { onProgress: progress });
  const shown = shownPath(matrix.file);
  const text = await Deno.readTextFile(matrix.file).catch(() => "");
  for (const v of options.variants) {
    const vt = await prepareVariant(tree, v, {
      onProgress: progress,
      displayBase: dirname(matrix.file),
    });
    const arches = new Map(options.cells.map((c) => [`${c.arch.name}\0${c.toolchain.name}`, c]));
    for (const cell of arches.values()) {
      const kc = await kconfigFor(vt.src, cell, {
        runtime: options.runtime,
        onProgress: progress,
      }).catch((e) => {
        if ((e as Error).name !== "KconfigError") throw e;
        // `<file>:<line>: <problem>`, the file said within the variant's tree.
        const m = (e as Error).message.match(/^([^:]*):(\d+): (.*)$/s);
        throw new InputError(
          m
            ? `${relative(vt.src, resolve(vt.src, m[1]!))}:${m[2]}: ${
              m[3]
            } (in the tree of variant '${v.name}'); fix the patch that breaks this Kconfig file`
            : `Cannot parse the Kconfig of variant '${v.name}': ${(e as Error).message}`,
        );
      });
      const defined = [...kc.tree.symbols.values()]
        .filter((s) => s.nodes.length > 0 && s.name !== null)
        .map((s) => s.name!);
      const known = new Set(defined);
      for (const c of options.cells) {
        if (c.arch.name !== cell.arch.name) continue;
        for (const line of c.kconfig) {
          const name = fragmentSymbol(line);
          if (name === undefined || known.has(name)) continue;
          const near = nearest(name, defined);
          throw new LocatedError(
            locateText(text, line, shown),
            "",
            `CONFIG_${name}: no such Kconfig symbol in the tree of variant '${v.name}' (${cell.arch.name})${
              near.length ? `; did you mean ${near.map((n) => `CONFIG_${n}`).join(" or ")}?` : ""
            }`,
          );
        }
      }
    }
  }
}

/** The symbol a fragment line sets (`CONFIG_X=…`, `# CONFIG_X is not set`), without `CONFIG_`. */
export function fragmentSymbol(line: string): string | undefined {
  return line.match(/^(?:# )?CONFIG_([A-Za-z0-9_]+)(?:=| is not set$)/)?.[1];
}

/** Say `path` relative to `base` (the cwd by default) when it lies below it. */
function shownPath(path: string, base = Deno.cwd()): string {
  const rel = relative(base, path);
  return rel && !rel.startsWith("..") && !rel.startsWith("/") ? rel : resolve(path);
}

/** Where `needle` first occurs in `text`, as file:line:col (1:1 when it does not). */
function locateText(
  text: string,
  needle: string,
  file: string,
): { file: string; line: number; col: number } {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const col = lines[i]!.indexOf(needle);
    if (col >= 0) return { file, line: i + 1, col: col + 1 };
  }
  return { file, line: 1, col: 1 };
}

/** The defined names within a small edit distance of `name`, nearest first (at most 3). */
export function nearest(name: string, names: readonly string[]): string[] {
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 4)));
  const scored: [number, string][] = [];
  for (const n of names) {
    if (Math.abs(n.length - name.length) > limit) continue;
    const d = editDistance(name, n, limit);
    if (d <= limit) scored.push([d, n]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  return scored.slice(0, 3).map(([, n]) => n);
}

/**
 * Levenshtein distance with adjacent transpositions counted as one edit; stops early and
 * returns `limit + 1` once every path exceeds `limit`.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2]! + 1);
      }
      cur.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** Every cell's toolchain must run in the runtime; building with a missing one is no result. */
export function checkToolchains(cells: readonly Cell[], runtime: Runtime): void {
  const seen = new Set<string>();
  for (const c of cells) {
    const key = `${c.toolchain.name}\0${c.arch.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const id = toolchainIdentity({ arch: c.arch, toolchain: c.toolchain, runtime });
    if (!id.present) {
      throw new InputError(
        `Cannot build with toolchain '${c.toolchain.name}' for '${c.arch.name}': it is not installed in runtime '${runtime.name}'; run ./setup.sh (it installs every toolchain of cross/environments/${runtime.environment.name}.yaml) or choose another runtime`,
      );
    }
  }
}

/**
 * The output directory must be a directory this process can write, or be creatable: checked
 * by writing (and removing) a probe file, without creating the directory itself.
 */
export async function checkWritable(outDir: string): Promise<void> {
  let dir = resolve(outDir);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const fail = (why: string) =>
    new InputError(
      `Cannot write results to '${outDir}': ${why}; give --out a directory you can write`,
    );
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (!info.isDirectory) throw fail(`'${dir}' is not a directory`);
  try {
    const probe = await Deno.makeTempFile({ dir, prefix: ".kmatrix-probe-" });
    await Deno.remove(probe);
  } catch (e) {
    // "Read-only file system (os error 30): make temp file …": the reason only.
    const why = (e as Error).message.replace(/ \(os error \d+\).*$/s, "");
    throw fail(`'${dir}' is not writable: ${why}`);
  }
}
