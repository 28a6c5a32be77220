/**
 * Put the shards of a distributed run back together: one results model, as one machine running
 * the whole matrix would have written it — records in matrix order, the comparisons against
 * the baseline computed on the whole, prediction counts — with every shard's artifacts (logs,
 * configs, reproducers) copied beside the merged `results.json` so its paths stay valid.
 *
 * Shards that do not belong together are refused, one line each ({@linkcode InputError}):
 * another matrix file (its sha256), another tree (its commit), other toolchains or runtime,
 * another plan, a missing or repeated shard, a record in two shards.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { CellResult, Results } from "../results/model.ts";
import { readResults, writeResults } from "../results/results_file.ts";
import { compareResults } from "../compare/compare_results.ts";
import { InputError } from "../errors.ts";
import type { ShardPlan } from "./shard_plan.ts";

/** Options for {@linkcode mergeResults}. */
export interface MergeResultsOptions {
  /** Output directory of the merged results.json and the artifacts (default `out`). */
  outDir?: string;
  /** The plan the shards ran (`plan --format json`): every planned record must be there once. */
  plan?: ShardPlan;
  /** The order of cells (the matrix's); default: as the shards list them. */
  cellOrder?: readonly string[];
}

/** One shard's output directory, read. */
interface ShardOutput {
  dir: string;
  results: Results;
}

/**
 * Merge the shard output directories `dirs` (each holding a `results.json` from
 * `matrix --shard I/N`) into `outDir`, and return the merged results.
 */
export async function mergeResults(
  dirs: readonly string[],
  options: MergeResultsOptions = {},
): Promise<Results> {
  if (dirs.length === 0) throw new InputError("Cannot merge '': give the shards' directories");
  const outDir = resolve(options.outDir ?? "out");
  const shards: ShardOutput[] = [];
  for (const dir of dirs) {
    const file = join(dir, "results.json");
    if (!existsSync(file)) {
      throw new InputError(`Cannot merge shard '${dir}': no results.json there`);
    }
    const results = await readResults(file);
    if (!results.shard) {
      throw new InputError(
        `Cannot merge shard '${dir}': its results are a whole run, not a shard (run 'matrix --shard I/N')`,
      );
    }
    shards.push({ dir, results });
  }
  checkTogether(shards, options.plan);
  const merged = mergeRecords(shards, options);
  await copyArtifacts(shards, outDir);
  // Paths: from each shard's directory to the same place under outDir.
  const moved = (r: CellResult, from: string): CellResult => {
    // Artifacts inside the shard's directory were copied; anything else stays where it is.
    const at = (p: string) => {
      const rel = relative(resolve(from), p);
      return rel.startsWith("..") ? p : join(outDir, rel);
    };
    return {
      ...r,
      config: at(r.config),
      log: at(r.log),
      ...(r.reproducer ? { reproducer: at(r.reproducer) } : {}),
      ...(r.metadata ? { metadata: at(r.metadata) } : {}),
      ...(r.prediction ? { prediction: { ...r.prediction, config: at(r.prediction.config) } } : {}),
    };
  };
  const first = shards[0]!.results;
  const results: Results = {
    version: first.version,
    matrix: first.matrix,
    started: shards.map((s) => s.results.started).sort()[0]!,
    finished: shards.map((s) => s.results.finished ?? s.results.started).sort().at(-1)!,
    ...(first.provenance ? { provenance: first.provenance } : {}),
    ...(first.baseline !== undefined ? { baseline: first.baseline } : {}),
    results: merged.map(({ record, from }) => moved(record, from)),
    comparisons: [],
  };
  results.comparisons = comparisons(results);
  const checked = results.results.flatMap((r) => r.prediction ? [r.prediction.verdict] : []);
  results.predictions = {
    confirmed: checked.filter((v) => v === "confirmed").length,
    missed: checked.filter((v) => v === "missed").length,
    unjudged: checked.filter((v) => v === "unjudged").length,
  };
  await Deno.mkdir(outDir, { recursive: true });
  await writeResults(join(outDir, "results.json"), results);
  return results;
}

/** Refuse shards of different runs, missing or repeated shards. */
function checkTogether(shards: readonly ShardOutput[], plan?: ShardPlan): void {
  const [head, ...rest] = shards;
  const a = head!.results;
  const same = (what: string, get: (r: Results) => unknown, detail: string) => {
    for (const s of rest) {
      const x = JSON.stringify(get(a)), y = JSON.stringify(get(s.results));
      if (x !== y) {
        throw new InputError(
          `Cannot merge shard '${s.dir}': it ran ${what} ${y}, shard '${
            head!.dir
          }' ran ${x} (${detail})`,
        );
      }
    }
  };
  same("matrix sha256", (r) => r.provenance?.matrix.sha256, "another matrix file");
  same("tree commit", (r) => r.provenance?.tree.commit, "another tree");
  same(
    "variants",
    (r) => r.provenance?.variants.map((v) => `${v.name}@${v.commit}`),
    "other patches",
  );
  same(
    "toolchains",
    (r) => r.provenance?.toolchains.map((t) => `${t.name}/${t.arch}: ${t.cc}; ${t.ld}`).sort(),
    "another toolchain",
  );
  same("runtime", (r) => r.provenance?.runtime.identity, "another build environment");
  same("plan", (r) => r.shard?.plan, "another selection of cells or variants");
  same("shard count", (r) => r.shard?.count, "another split");
  if (plan && plan.id !== a.shard!.plan) {
    throw new InputError(
      `Cannot merge shard '${head!.dir}': it ran plan ${
        a.shard!.plan
      }, the plan given is ${plan.id}`,
    );
  }
  const count = a.shard!.count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const i = s.results.shard!.index;
    const other = seen.get(i);
    if (other !== undefined) {
      throw new InputError(
        `Cannot merge shard '${s.dir}': it is shard ${i}/${count} again ('${other}' is too)`,
      );
    }
    seen.set(i, s.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new InputError(
      `Cannot merge plan '${a.shard!.plan}': shard${missing.length > 1 ? "s" : ""} ${
        missing.map((i) => `${i}/${count}`).join(", ")
      } missing (${shards.length} of ${count} given)`,
    );
  }
}

/** The records of all shards, each once, in the order one run would have written them. */
function mergeRecords(
  shards: readonly ShardOutput[],
  options: MergeResultsOptions,
): { record: CellResult; from: string }[] {
  const all: { record: CellResult; from: string }[] = [];
  const where = new Map<string, string>();
  for (const s of [...shards].sort((x, y) => x.results.shard!.index - y.results.shard!.index)) {
    for (const record of s.results.results) {
      const id = `${record.variant} ${record.cell}`;
      const other = where.get(id);
      if (other !== undefined) {
        throw new InputError(
          `Cannot merge shard '${s.dir}': record ${id} is in shard '${other}' too`,
        );
      }
      where.set(id, s.dir);
      all.push({ record, from: s.dir });
    }
  }
  if (options.plan) {
    const planned = options.plan.shards.flatMap((s) =>
      s.records.map((r) => `${r.variant} ${r.cell}`)
    );
    const lost = planned.filter((id) => !where.has(id));
    const extra = [...where.keys()].filter((id) => !planned.includes(id));
    if (lost.length > 0 || extra.length > 0) {
      throw new InputError(
        `Cannot merge plan '${options.plan.id}': ${
          lost.length ? `record ${lost[0]} ran in no shard` : `record ${extra[0]} is not planned`
        } (did the shards see another durations.json than the plan?)`,
      );
    }
  }
  const variants = shards[0]!.results.provenance?.variants.map((v) => v.name) ?? [];
  const cells = options.cellOrder ??
    (options.plan
      ? [...new Set(options.plan.shards.flatMap((s) => s.records.map((r) => r.cell)))]
      : []);
  const rank = (list: readonly string[], x: string) => {
    const i = list.indexOf(x);
    return i < 0 ? list.length : i;
  };
  // Stable: records neither list knows keep the shards' order.
  return all
    .map((x, i) => ({ ...x, i }))
    .sort((x, y) =>
      rank(variants, x.record.variant) - rank(variants, y.record.variant) ||
      rank(cells, x.record.cell) - rank(cells, y.record.cell) ||
      x.i - y.i
    )
    .map(({ record, from }) => ({ record, from }));
}

/** Copy each shard's directory (but its results files) under `outDir`. */
async function copyArtifacts(shards: readonly ShardOutput[], outDir: string): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  for (const s of shards) {
    if (resolve(s.dir) === outDir) continue;
    for await (const e of Deno.readDir(s.dir)) {
      if (e.isFile && /^results(-.*)?\.json$/.test(e.name)) continue;
      await copy(join(s.dir, e.name), join(outDir, e.name));
    }
  }
}

/** Each candidate variant against the baseline, cell by cell, as a local run does. */
function comparisons(results: Results): Results["comparisons"] {
  const ran = [...new Set(results.results.map((r) => r.variant))];
  const baseline = results.baseline;
  if (baseline === undefined || !ran.includes(baseline)) return [];
  return ran.filter((v) => v !== baseline).map((head) => ({
    base: baseline,
    head,
    ...compareResults(results, results, { baseVariant: baseline, headVariant: head }),
  }));
}

/** Copy `from` to `to`: files, and directories merged into existing ones. */
async function copy(from: string, to: string): Promise<void> {
  const info = await Deno.lstat(from);
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) await copy(join(from, e.name), join(to, e.name));
  } else if (info.isSymlink) {
    await Deno.remove(to).catch(() => {});
    await Deno.symlink(await Deno.readLink(from), to);
  } else {
    await Deno.copyFile(from, to);
  }
}
