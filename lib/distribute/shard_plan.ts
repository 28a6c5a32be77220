/**
 * The distribute stage: spread a matrix over machines kmatrix does not schedule itself — the
 * jobs of a GitHub Actions matrix, one `matrix --shard I/N` each — and put the shards back
 * together ({@link ./merge_results.ts}).
 *
 * A shard plan is what {@linkcode planRun} knows before building (every record with its
 * result-cache key, dedup group and prediction) cut by {@linkcode shardGroups} into shards of
 * whole dedup groups, balanced by expected duration. `matrix --shard I/N` cuts the same way
 * from the same inputs, so a plan and the shards that run it agree; the plan's `id` is the one
 * each shard stamps into its `results.json` (`shard.plan`).
 *
 * The cut depends on the durations remembered in the cache (`durations.json`): the machines
 * that run the shards must see the same file as the one that planned (the workflow hands it
 * over), else `merge --plan` says which records went missing or twice.
 *
 * @module
 */
import { estimateS, planId, type PlannedRecord, shardGroups } from "../run/run_matrix.ts";
import type { RunPlan } from "../run/run_matrix.ts";
import { InputError } from "../errors.ts";

/** GitHub Actions runs at most 256 jobs per matrix. */
export const MAX_SHARDS = 256;

/** The time one shard should take when the count is `auto`: about 30 minutes. */
export const SHARD_TARGET_S = 1800;

/** One record of a shard plan. */
export interface ShardRecord {
  /** Variant name. */
  variant: string;
  /** Cell id. */
  cell: string;
  /** Result-cache key (everything the build reads). */
  key: string;
  /** Dedup group: records with the same compiler input are built once. */
  group: string;
  /** Seconds expected: remembered from an earlier build, else estimated from the object model. */
  expected_s: number;
  /** Whether `expected_s` was remembered (true) or estimated. */
  remembered: boolean;
  /** What the predictor says the build will do (absent with predictions off). */
  predicted?: { status: "pass" | "fail"; signatures: string[]; dropped: string[] };
}

/** One shard: the records `matrix --shard index/count` runs. */
export interface Shard {
  /** 1-based. */
  index: number;
  /** How many shards. */
  count: number;
  /** Expected seconds: the sum over its dedup groups (one build each). */
  expected_s: number;
  /** Its records, in run order (variants, then cells, in matrix order). */
  records: ShardRecord[];
}

/** A whole shard plan (`plan --format json`). */
export interface ShardPlan {
  /** Format version of this document. */
  version: 1;
  /** The plan id each shard stamps into its results (`shard.plan`). */
  id: string;
  /** The matrix file. */
  matrix: string;
  /** The tree the variants start from. */
  tree: { source: string; version: string; commit: string };
  /** The runtime the builds run in and its identity. */
  runtime: { name: string; identity: string };
  /** Totals over the plan. */
  totals: { records: number; groups: number; expected_s: number };
  /** The shards, index order. */
  shards: Shard[];
}

/** Options for {@linkcode shardPlan}. */
export interface ShardPlanOptions {
  /** A shard count, or `auto`: about {@linkcode SHARD_TARGET_S} each, at most 256 (default). */
  shards?: number | "auto";
  /** Seconds per shard for `auto` (default {@linkcode SHARD_TARGET_S}). */
  targetS?: number;
}

/** Expected seconds of each dedup group (its first record's), in plan order. */
function groupSeconds(records: readonly PlannedRecord[]): Map<string, number> {
  const groups = new Map<string, number>();
  for (const r of records) {
    if (!groups.has(r.group)) groups.set(r.group, r.expectedS ?? estimateS(r));
  }
  return groups;
}

/**
 * How many shards of about `targetS` seconds the records need: at least one, at most one per
 * dedup group and at most {@linkcode MAX_SHARDS}.
 */
export function autoShardCount(
  records: readonly PlannedRecord[],
  targetS: number = SHARD_TARGET_S,
): number {
  const groups = groupSeconds(records);
  const total = [...groups.values()].reduce((a, b) => a + b, 0);
  return Math.max(1, Math.min(MAX_SHARDS, groups.size, Math.ceil(total / targetS)));
}

/**
 * Cut a run plan into shards exactly as `matrix --shard I/N` does.
 *
 * @example Usage
 * ```ts ignore
 * const plan = shardPlan(await planRun(matrix), matrix.file, { shards: "auto" });
 * console.log(plan.shards.map((s) => `${s.index}/${s.count}: ${s.records.length}`));
 * ```
 *
 * @param run What {@linkcode planRun} returned.
 * @param matrixFile The matrix file, as it is to be shown.
 * @param options The shard count (or `auto`).
 */
export function shardPlan(
  run: RunPlan,
  matrixFile: string,
  options: ShardPlanOptions = {},
): ShardPlan {
  const wanted = options.shards ?? "auto";
  const count = wanted === "auto" ? autoShardCount(run.records, options.targetS) : wanted;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new InputError(
      `Cannot cut the plan into '${count}' shards: give 1 to ${MAX_SHARDS} (GitHub's limit per matrix) or auto`,
    );
  }
  const seconds = groupSeconds(run.records);
  const cut = shardGroups(run.records, count);
  const shards = cut.map((groups, i): Shard => {
    const mine = new Set(groups);
    return {
      index: i + 1,
      count,
      expected_s: Math.round(groups.reduce((a, g) => a + (seconds.get(g) ?? 0), 0)),
      records: run.records.filter((r) => mine.has(r.group)).map(shardRecord),
    };
  });
  return {
    version: 1,
    id: planId(run.records),
    matrix: matrixFile,
    tree: { source: run.tree.source, version: run.tree.version, commit: run.tree.commit },
    runtime: { name: run.runtime.name, identity: run.runtime.identity() },
    totals: {
      records: run.records.length,
      groups: seconds.size,
      expected_s: Math.round([...seconds.values()].reduce((a, b) => a + b, 0)),
    },
    shards,
  };
}

function shardRecord(r: PlannedRecord): ShardRecord {
  const p = r.prediction;
  return {
    variant: r.variant.name,
    cell: r.cell.id,
    key: r.key,
    group: r.group,
    expected_s: Math.round(r.expectedS ?? estimateS(r)),
    remembered: r.expectedS !== undefined,
    ...(p
      ? {
        predicted: {
          status: p.status,
          signatures: p.signatures,
          dropped: p.dropped.map((d) => d.line),
        },
      }
      : {}),
  };
}

/** One entry of a GitHub Actions `strategy.matrix.include`. */
export interface GhaShard {
  /** `I/N`, the `matrix --shard` argument. */
  shard: string;
  /** The plan id (the shard's results say it again). */
  plan: string;
  /** How many records the shard runs. */
  records: number;
  /** How many of them are predicted to fail. */
  predicted_failures: number;
  /** Expected minutes. */
  expected_min: number;
}

/**
 * The plan as JSON for `strategy.matrix` (`fromJSON(needs.plan.outputs.matrix)`): one
 * `include` entry per shard.
 */
export function ghaMatrix(plan: ShardPlan): { include: GhaShard[] } {
  return {
    include: plan.shards.map((s) => ({
      shard: `${s.index}/${s.count}`,
      plan: plan.id,
      records: s.records.length,
      predicted_failures: s.records.filter((r) => r.predicted?.status === "fail").length,
      expected_min: Math.ceil(s.expected_s / 60),
    })),
  };
}
