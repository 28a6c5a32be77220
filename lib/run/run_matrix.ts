/**
 * The run stage: drive a whole matrix — tree → variant worktrees → predictions → real builds →
 * `results.json` — as fast as the inputs allow:
 *
 * - **Result cache**: a record whose inputs are unchanged (variant commit, config plan,
 *   runtime and toolchain identity, targets) is taken from `<cache>/results/` in milliseconds.
 * - **Dedup**: records that give the compiler the same input — the same resolved config values
 *   (auto.conf's, see {@linkcode compilerConfig}), toolchain, runtime and targets, on variant
 *   trees that differ only in files no object reads (Kconfig files, Documentation) — are built
 *   once. The others run only their config step, and when their real `.config` gives the same
 *   values they are recorded as `shared` with the one built.
 * - **Parallel builds** under one job budget (default: the CPU count), longest first from the
 *   durations remembered from earlier runs, dedup followers' config steps first; every make
 *   joins one jobserver (job_server.ts), so make jobs never exceed the budget and a lone build
 *   gets all of it.
 *
 * Failures of a build are results; an infra failure is retried once; only bad input or a
 * broken machine throws. An abort (SIGINT/SIGTERM in the CLI) kills every running build, keeps
 * the finished records and marks the rest `interrupted`; the next run builds only those (the
 * finished ones come from the result cache).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { hostname } from "node:os";
import { $ } from "zx";
import type { Cell, Matrix, Variant } from "../matrix/load_matrix.ts";
import { ensureTree, type KernelTree } from "../tree/kernel_tree.ts";
import { prepareVariant, type VariantTree } from "../patch/variant_tree.ts";
import { buildCell, type BuildProgress, cellSlug } from "../execute/build_cell.ts";
import { JobServer } from "../execute/job_server.ts";
import type { CellResult, PredictionRecord, Results } from "../results/model.ts";
import { RESULTS_VERSION } from "../results/model.ts";
import { writeResults } from "../results/results_file.ts";
import { loadRuntime, type Runtime } from "../environment/runtime.ts";
import { toolchainIdentity } from "../environment/toolchain_profile.ts";
import { shortHash } from "../environment/short_hash.ts";
import { acquireRunLock } from "./run_lock.ts";
import { readDurations, writeDurations } from "./durations.ts";
import { preflight } from "./preflight.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { predictCell, type Prediction } from "../predict/predict_cell.ts";
import { checkPrediction } from "../predict/check_prediction.ts";
import { configPlan } from "../plan/config_plan.ts";
import { compilerConfig } from "../kconfig/config_file.ts";
import { compareResults } from "../compare/compare_results.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** Progress events of a run, for the terminal or a test. */
export type RunEvent =
  | { kind: "progress"; line: string }
  | { kind: "predict"; cell: string; variant: string; prediction: Prediction }
  | {
    kind: "start";
    index: number;
    total: number;
    cell: string;
    variant: string;
    jobs: number;
    /** Objects the Kbuild model predicts the build compiles (0 when unknown). */
    expected: number;
    configOnly: boolean;
  }
  | { kind: "step"; cell: string; variant: string; step: string; command: string }
  | {
    kind: "building";
    cell: string;
    variant: string;
    progress: BuildProgress;
    expected: number;
    elapsed_s: number;
  }
  | { kind: "done"; index: number; total: number; result: CellResult };

/** Options for {@linkcode runMatrix}. */
export interface RunMatrixOptions {
  /** Output directory for results.json, logs and configs (default `out`). */
  outDir?: string;
  /** Cells to build (default: all of the matrix). */
  cells?: Cell[];
  /** Variants to build (default: all of the matrix). */
  variants?: Variant[];
  /** The job budget shared by all builds (default: the matrix's `jobs`, else the CPU count). */
  jobs?: number;
  /** Runtime name, overriding the matrix's. */
  runtime?: string;
  /** Predict each build before running it and check the prediction after (default true). */
  predict?: boolean;
  /** Use the result cache (default true); `false` builds every record. */
  cache?: boolean;
  /** Build records that share their compiler input once (default true). */
  dedup?: boolean;
  /** Seconds before a build is killed and recorded `infra` (default 3600). */
  timeoutS?: number;
  /** Use ccache (default: when it is installed); see lib/execute/build_cell.ts. */
  ccache?: boolean;
  /** The ccache directory (default `<cache>/ccache`). */
  ccacheDir?: string;
  /** Aborting kills every running build; unfinished records are `interrupted`. */
  signal?: AbortSignal;
  /** Run only shard `index` (1-based) of `count`: whole dedup groups, balanced by duration. */
  shard?: { index: number; count: number };
  /** Called for each event. */
  onEvent?: (event: RunEvent) => void;
}

/** One record to produce: a cell on a variant, with what is known of it before building. */
export interface PlannedRecord {
  /** The cell. */
  cell: Cell;
  /** The prepared variant tree. */
  variant: VariantTree;
  /** Result-cache key: everything the build reads. */
  key: string;
  /** Dedup group: records with the same compiler input share it. */
  group: string;
  /** The prediction (when predicting). */
  prediction?: Prediction;
  /** Seconds the build took last time (undefined: never built). */
  expectedS?: number;
}

/** What {@linkcode planRun} knows before any build. */
export interface RunPlan {
  /** The pristine tree. */
  tree: KernelTree;
  /** The runtime. */
  runtime: Runtime;
  /** The prepared variants. */
  variants: VariantTree[];
  /** Every record, variants in matrix order, cells in matrix order. */
  records: PlannedRecord[];
}

/** Options for {@linkcode planRun}. */
export type PlanRunOptions = Pick<
  RunMatrixOptions,
  "cells" | "variants" | "runtime" | "predict" | "onEvent"
>;

/**
 * Everything a run knows before building: tree, variants, and for each record its cache key,
 * its dedup group and its prediction. Used by {@linkcode runMatrix} and by the `plan` command.
 */
export async function planRun(matrix: Matrix, options: PlanRunOptions = {}): Promise<RunPlan> {
  const emit = options.onEvent ?? (() => {});
  const progress = (line: string) => emit({ kind: "progress", line });
  const cells = options.cells ?? matrix.cells;
  const runtime = loadRuntime(options.runtime ?? matrix.runtime);
  await runtime.prepare(progress);
  const tree = await ensureTree(matrix.tree, { onProgress: progress });
  progress(`tree: ${tree.source} = Linux ${tree.version} at ${tree.commit.slice(0, 12)}`);
  // Every variant before the first build: a patch that does not apply is bad input and stops
  // the run before hours of building.
  const variants: VariantTree[] = [];
  for (const v of options.variants ?? matrix.variants) {
    variants.push(
      await prepareVariant(tree, v, { onProgress: progress, displayBase: join(matrix.file, "..") }),
    );
  }
  const durations = await readDurations(DURATIONS());
  const identity = runtime.identity();
  const records: PlannedRecord[] = [];
  const said = new Set<string>();
  for (const vt of variants) {
    const treeKey = await buildTreeKey(tree, vt);
    for (const cell of cells) {
      const tc = toolchainIdentity({ arch: cell.arch, toolchain: cell.toolchain, runtime });
      const config = configPlan(cell);
      const plan = JSON.stringify(config);
      const key = shortHash([
        String(RESULTS_VERSION),
        vt.commit,
        plan,
        identity,
        tc.cc,
        tc.ld,
        matrix.targets.join(" "),
      ]);
      let prediction: Prediction | undefined;
      if (options.predict ?? true) {
        prediction = await predictCell(cell, vt.src, {
          runtime,
          onProgress: progress,
          targets: matrix.targets,
        });
        emit({ kind: "predict", cell: cell.id, variant: vt.name, prediction });
        const which = `${cell.toolchain.name}\0${cell.arch.name}`;
        if (prediction.profile && !said.has(which)) {
          said.add(which);
          for (const d of prediction.profile.differences) {
            progress(
              `profile: ${cell.toolchain.name} in '${runtime.name}' differs from the committed profile: ${d}`,
            );
          }
        }
      }
      // Without a prediction there is no resolved config before building: no dedup. The
      // fragment and base are left out: they only make the .config, which is compared itself.
      const group = prediction
        ? shortHash([
          compilerConfig(prediction.config),
          treeKey,
          JSON.stringify(config.makeVars),
          identity,
          tc.cc,
          tc.ld,
        ])
        : key;
      const expectedS = durations[durationKey(cell)];
      records.push({
        cell,
        variant: vt,
        key,
        group,
        ...(prediction ? { prediction } : {}),
        ...(expectedS !== undefined ? { expectedS } : {}),
      });
    }
  }
  return { tree, runtime, variants, records };
}

/**
 * Split the dedup groups of a plan into `count` shards of about equal expected time (longest
 * group first onto the least loaded shard); returns each shard's group ids.
 */
export function shardGroups(records: readonly PlannedRecord[], count: number): string[][] {
  const groups = new Map<string, number>();
  for (const r of records) {
    if (!groups.has(r.group)) groups.set(r.group, r.expectedS ?? estimateS(r));
  }
  const shards = Array.from({ length: count }, () => ({ load: 0, groups: [] as string[] }));
  const order = [...groups].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [group, seconds] of order) {
    const least = shards.reduce((a, b) => b.load < a.load ? b : a);
    least.groups.push(group);
    least.load += seconds;
  }
  return shards.map((s) => s.groups);
}

/**
 * Build every selected cell × variant and write `<outDir>/results.json` after each record, so
 * an interrupted run keeps what it finished.
 */
export async function runMatrix(matrix: Matrix, options: RunMatrixOptions = {}): Promise<Results> {
  const emit = options.onEvent ?? (() => {});
  const outDir = resolve(options.outDir ?? "out");
  const lock = await acquireRunLock(cacheDir());
  try {
    // Bad input stops here, in seconds, before any result is written or moved.
    await preflight(matrix, {
      cells: options.cells ?? matrix.cells,
      variants: options.variants ?? matrix.variants,
      outDir: options.outDir ?? "out",
      runtime: loadRuntime(options.runtime ?? matrix.runtime),
      onProgress: (line) => emit({ kind: "progress", line }),
    });
    const plan = await planRun(matrix, options);
    return await execute(matrix, plan, { ...options, outDir, emit });
  } finally {
    await lock.release();
  }
}

interface Execution extends RunMatrixOptions {
  outDir: string;
  emit: (event: RunEvent) => void;
}

async function execute(matrix: Matrix, plan: RunPlan, options: Execution): Promise<Results> {
  const { outDir, emit } = options;
  const progress = (line: string) => emit({ kind: "progress", line });
  const { runtime } = plan;
  let records = plan.records;
  if (options.shard) {
    const mine = new Set(shardGroups(records, options.shard.count)[options.shard.index - 1]);
    records = records.filter((r) => mine.has(r.group));
  }
  const results: Results = {
    version: RESULTS_VERSION,
    matrix: matrix.file,
    started: new Date().toISOString(),
    provenance: await provenanceOf(matrix, plan),
    baseline: matrix.baseline,
    results: [],
    comparisons: [],
    ...(options.shard ? { shard: { ...options.shard, plan: planId(plan.records) } } : {}),
  };
  await Deno.mkdir(outDir, { recursive: true });
  const resultsFile = join(outDir, "results.json");
  await keepPrevious(resultsFile);
  const total = records.length;
  const byRecord = new Map<PlannedRecord, CellResult>();
  // Builds finish in parallel: one write at a time, each with every record finished so far.
  let saving = Promise.resolve();
  const save = () => {
    saving = saving.then(async () => {
      results.results = records.flatMap((r) => byRecord.get(r) ?? []);
      await writeResults(resultsFile, results);
    });
    return saving;
  };
  let index = 0;
  const finish = async (r: PlannedRecord, result: CellResult) => {
    if (r.prediction && !result.prediction) {
      result.prediction = await predictionRecord(
        r.prediction,
        result,
        join(outDir, r.variant.name, cellSlug(r.cell.id)),
      );
    }
    byRecord.set(r, result);
    await save();
    emit({ kind: "done", index: ++index, total, result });
  };

  // 1. The result cache.
  const todo: PlannedRecord[] = [];
  for (const r of records) {
    const cached = options.cache === false
      ? undefined
      : await fromCache(r, join(outDir, r.variant.name, cellSlug(r.cell.id)));
    if (cached) {
      progress(`cache: ${r.variant.name} ${r.cell.id} from the run of ${cached.cached?.started}`);
      await finish(r, cached);
    } else {
      todo.push(r);
    }
  }

  // 2. Dedup groups: the first record of each group is built, the others follow it.
  const groups = new Map<string, PlannedRecord[]>();
  for (const r of todo) {
    const key = options.dedup === false ? r.key : r.group;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }

  // 3. Builds under one job budget, longest first.
  const budget = options.jobs ?? matrix.jobs ?? navigator.hardwareConcurrency;
  type Job = { record: PlannedRecord; configOnly: boolean; attempt: number; leader?: CellResult };
  const queue: Job[] = [...groups.values()]
    .map((g) => ({ record: g[0]!, configOnly: false, attempt: 1 }))
    .sort((a, b) =>
      (b.record.expectedS ?? estimateS(b.record)) - (a.record.expectedS ?? estimateS(a.record))
    );
  const durations = await readDurations(DURATIONS());
  const running = new Set<Promise<void>>();
  const aborted = () => options.signal?.aborted ?? false;

  const runJob = async (job: Job, server: JobServer) => {
    const r = job.record;
    const cellOut = join(outDir, r.variant.name, cellSlug(r.cell.id));
    const expected = r.prediction ? r.prediction.objects.builtin + r.prediction.objects.lib : 0;
    emit({
      kind: "start",
      index: index + 1,
      total,
      cell: r.cell.id,
      variant: r.variant.name,
      jobs: server.jobs,
      expected,
      configOnly: job.configOnly,
    });
    const t0 = performance.now();
    const result = await buildCell(r.cell, r.variant, {
      runtime,
      outDir: cellOut,
      targets: matrix.targets,
      jobServer: server,
      configOnly: job.configOnly,
      ...(options.timeoutS ? { timeoutS: options.timeoutS } : {}),
      ...(options.ccache !== undefined ? { ccache: options.ccache } : {}),
      ...(options.ccacheDir ? { ccacheDir: options.ccacheDir } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onStep: (step, command) =>
        emit({ kind: "step", cell: r.cell.id, variant: r.variant.name, step, command }),
      onProgress: (p) =>
        emit({
          kind: "building",
          cell: r.cell.id,
          variant: r.variant.name,
          progress: p,
          expected,
          elapsed_s: Math.round((performance.now() - t0) / 1000),
        }),
    });
    result.attempts = job.attempt;
    if (job.configOnly) {
      await followLeader(job, result);
      return;
    }
    if (result.status === "infra" && job.attempt === 1 && !aborted()) {
      progress(`infra: ${r.variant.name} ${r.cell.id} could not be judged; retrying once`);
      queue.unshift({ ...job, attempt: 2 });
      return;
    }
    if (result.status === "pass" || result.status === "fail") {
      durations[durationKey(r.cell)] = result.duration_s;
      await writeDurations(DURATIONS(), durations);
    }
    await finish(r, result);
    if (result.status === "pass" || result.status === "fail") await toCache(r, result);
    // The rest of the group: their config step, then shared or built.
    const group = groups.get(options.dedup === false ? r.key : r.group) ?? [];
    for (const other of group.slice(1)) {
      queue.unshift({ record: other, configOnly: true, attempt: 1, leader: result });
    }
  };

  const followLeader = async (job: Job, own: CellResult) => {
    const leader = job.leader!;
    const r = job.record;
    const same = own.status === "pass" &&
      compilerConfig(await Deno.readTextFile(own.config).catch(() => "")) ===
        compilerConfig(await Deno.readTextFile(leader.config).catch(() => "-"));
    if (!same) {
      if (own.status === "interrupted") {
        await finish(r, own);
        return;
      }
      progress(
        `dedup: ${r.variant.name} ${r.cell.id} resolved another config than ${leader.variant}; building it`,
      );
      queue.unshift({ record: r, configOnly: false, attempt: 1 });
      return;
    }
    const shared: CellResult = {
      ...leader,
      cell: r.cell.id,
      variant: r.variant.name,
      steps: [
        ...own.steps,
        ...leader.steps.filter((s) => !own.steps.some((o) => o.name === s.name)),
      ],
      commands: own.commands,
      config: own.config,
      dropped: own.dropped,
      duration_s: own.duration_s,
      attempts: 1,
      shared: {
        variant: leader.variant,
        ...(leader.cell !== r.cell.id ? { cell: leader.cell } : {}),
        reason:
          `same resolved config (auto.conf), toolchain, runtime and targets as ${leader.variant}; the variants differ only in files no object reads (Kconfig, Documentation)`,
      },
      ...(own.reproducer ? { reproducer: own.reproducer } : {}),
    };
    delete shared.prediction;
    await finish(r, shared);
    await toCache(r, shared);
  };

  // Every make joins one jobserver holding the budget (job_server.ts): a make starts on a slot
  // kmatrix takes for it, and a running build takes the slots the others leave, so the last
  // build of a run gets the whole budget, not the share it started with.
  const server = await JobServer.create(join(cacheDir(), "jobserver"), budget);
  try {
    while ((queue.length > 0 || running.size > 0) && !aborted()) {
      while (queue.length > 0 && running.size < budget && !aborted()) {
        if (running.size === 0) await server.renew();
        await server.acquire();
        if (aborted()) {
          await server.release();
          break;
        }
        // Dedup followers' config steps first: seconds each, and then their record is done.
        const job = queue.splice(Math.max(0, queue.findIndex((j) => j.configOnly)), 1)[0]!;
        const p: Promise<void> = runJob(job, server).finally(async () => {
          await server.release();
          running.delete(p);
        });
        running.add(p);
      }
      if (running.size > 0) await Promise.race(running);
    }
    await Promise.allSettled(running);
  } finally {
    await server.close();
  }

  // Whatever did not finish: interrupted, to be built by the next run.
  for (const r of records) {
    if (byRecord.has(r)) continue;
    byRecord.set(
      r,
      interruptedRecord(r, runtime, join(outDir, r.variant.name, cellSlug(r.cell.id))),
    );
  }
  await saving;
  results.results = records.flatMap((r) => byRecord.get(r) ?? []);
  results.finished = new Date().toISOString();
  results.comparisons = comparisons(results, matrix);
  const checked = results.results.flatMap((r) => r.prediction ? [r.prediction.verdict] : []);
  results.predictions = {
    confirmed: checked.filter((v) => v === "confirmed").length,
    missed: checked.filter((v) => v === "missed").length,
    unjudged: checked.filter((v) => v === "unjudged").length,
  };
  await writeResults(resultsFile, results);
  return results;
}

/** Each candidate variant against the baseline, cell by cell. */
function comparisons(results: Results, matrix: Matrix): Results["comparisons"] {
  const ran = new Set(results.results.map((r) => r.variant));
  if (!ran.has(matrix.baseline)) return [];
  return [...ran].filter((v) => v !== matrix.baseline).map((head) => ({
    base: matrix.baseline,
    head,
    ...compareResults(results, results, { baseVariant: matrix.baseline, headVariant: head }),
  }));
}

/** The prediction of a record, checked against its real result. */
async function predictionRecord(
  prediction: Prediction,
  result: CellResult,
  cellOut: string,
): Promise<PredictionRecord> {
  await Deno.mkdir(cellOut, { recursive: true });
  const config = join(cellOut, "predicted.config");
  await Deno.writeTextFile(config, prediction.config);
  const check = await checkPrediction(prediction, result);
  return {
    status: prediction.status,
    signatures: prediction.signatures,
    consequences: prediction.consequences,
    dropped: prediction.dropped,
    reasons: prediction.reasons,
    config,
    objects: prediction.objects,
    unmodelled: prediction.unmodelled,
    ...(prediction.profile ? { profile: prediction.profile } : {}),
    verdict: check.verdict,
    differences: check.differences,
    notes: check.notes,
  };
}

/** A record that did not run to its end. */
function interruptedRecord(r: PlannedRecord, runtime: Runtime, cellOut: string): CellResult {
  return {
    cell: r.cell.id,
    variant: r.variant.name,
    arch: r.cell.arch.name,
    toolchain: r.cell.toolchain.name,
    toolchain_version: toolchainIdentity({
      arch: r.cell.arch,
      toolchain: r.cell.toolchain,
      runtime,
    }).cc,
    runtime: runtime.name,
    status: "interrupted",
    duration_s: 0,
    steps: [],
    commands: [],
    config: join(cellOut, "config"),
    log: join(cellOut, "build.log"),
    dropped: [],
    diagnostics: [],
    attempts: 0,
  };
}

/** What the build reads of a variant tree: its changes to files an object can read. */
async function buildTreeKey(tree: KernelTree, vt: VariantTree): Promise<string> {
  if (vt.commit === tree.commit) return tree.commit;
  const r = await $({ quiet: true })`git -C ${vt.src} diff --name-only ${tree.commit} ${vt.commit}`;
  const read = r.stdout.split("\n").filter((f) =>
    f && !/^Kconfig/.test(basename(f)) && !f.startsWith("Documentation/")
  );
  if (read.length === 0) return tree.commit;
  const blobs = await $({ quiet: true })`git -C ${vt.src} ls-tree ${vt.commit} -- ${read}`;
  return shortHash([tree.commit, blobs.stdout]);
}

/** Rough build time from the size of the object model, for records never built before. */
export function estimateS(r: PlannedRecord): number {
  const o = r.prediction?.objects;
  return o ? (o.builtin + o.lib + o.modules) * 0.5 : 600;
}

function durationKey(cell: Cell): string {
  return cell.id;
}

const DURATIONS = () => join(cacheDir(), "durations.json");

const ARTIFACTS = ["build.log", "config", "fragment.config", "reproduce.sh"] as const;

/** Store a finished record and its artifacts under its key in the result cache. */
async function toCache(r: PlannedRecord, result: CellResult): Promise<void> {
  const dir = join(cacheDir(), "results", r.key);
  const tmp = `${dir}.${Deno.pid}.tmp`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  const sources: Record<(typeof ARTIFACTS)[number], string | undefined> = {
    "build.log": result.log,
    "config": result.config,
    "fragment.config": join(result.config, "..", "fragment.config"),
    "reproduce.sh": result.reproducer,
  };
  for (const name of ARTIFACTS) {
    const from = sources[name];
    if (from && existsSync(from)) await Deno.copyFile(from, join(tmp, name));
  }
  const record = { ...result, started: new Date().toISOString() };
  delete record.prediction;
  await Deno.writeTextFile(join(tmp, "record.json"), JSON.stringify(record, null, 2) + "\n");
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, dir);
}

/** A record from the result cache, its artifacts copied into `cellOut`. */
async function fromCache(r: PlannedRecord, cellOut: string): Promise<CellResult | undefined> {
  const dir = join(cacheDir(), "results", r.key);
  let stored: CellResult & { started: string };
  try {
    stored = JSON.parse(await Deno.readTextFile(join(dir, "record.json")));
  } catch {
    return undefined;
  }
  await Deno.mkdir(cellOut, { recursive: true });
  for (const name of ARTIFACTS) {
    if (existsSync(join(dir, name))) await Deno.copyFile(join(dir, name), join(cellOut, name));
  }
  const { started, ...rest } = stored;
  return {
    ...rest,
    cell: r.cell.id,
    variant: r.variant.name,
    log: join(cellOut, "build.log"),
    config: join(cellOut, "config"),
    ...(rest.reproducer ? { reproducer: join(cellOut, "reproduce.sh") } : {}),
    cached: { key: r.key, started },
  };
}

/** An id of a plan: the same matrix, tree, variants and environment give the same id. */
export function planId(records: readonly PlannedRecord[]): string {
  return shortHash(records.map((r) => `${r.cell.id}\0${r.variant.name}\0${r.key}`));
}

async function provenanceOf(matrix: Matrix, plan: RunPlan): Promise<Results["provenance"]> {
  const sha = async (file: string) =>
    createHash("sha256").update(await Deno.readFile(file)).digest("hex");
  const toolchains = new Map<string, { name: string; arch: string; cc: string; ld: string }>();
  for (const r of plan.records) {
    const id = toolchainIdentity({
      arch: r.cell.arch,
      toolchain: r.cell.toolchain,
      runtime: plan.runtime,
    });
    toolchains.set(`${r.cell.toolchain.name}/${r.cell.arch.name}`, {
      name: r.cell.toolchain.name,
      arch: r.cell.arch.name,
      cc: id.cc,
      ld: id.ld,
    });
  }
  const osRelease = await Deno.readTextFile("/etc/os-release").catch(() => "");
  const variantsOf = new Map(matrix.variants.map((v) => [v.name, v]));
  return {
    kmatrix: { version: denoJson.version },
    matrix: { file: matrix.file, sha256: await sha(matrix.file) },
    tree: { source: plan.tree.source, version: plan.tree.version, commit: plan.tree.commit },
    variants: await Promise.all(plan.variants.map(async (vt) => {
      const v = variantsOf.get(vt.name);
      return {
        name: vt.name,
        ...(v?.description ? { description: v.description } : {}),
        commit: vt.commit,
        patches: await Promise.all(
          (v?.patches ?? []).map(async (file) => ({ file, sha256: await sha(file) })),
        ),
      };
    })),
    runtime: {
      name: plan.runtime.name,
      identity: plan.runtime.identity(),
      environment: plan.runtime.environment.name,
    },
    toolchains: [...toolchains.values()],
    host: {
      hostname: hostname(),
      os: osRelease.match(/^PRETTY_NAME="?([^"\n]*)"?$/m)?.[1] ?? Deno.build.os,
      kernel: Deno.osRelease(),
      cpus: navigator.hardwareConcurrency,
    },
  };
}

/** Keep an earlier run's results as `results-<its start time>.json` instead of replacing them. */
async function keepPrevious(path: string): Promise<void> {
  let started: string;
  try {
    started = (JSON.parse(await Deno.readTextFile(path)) as Partial<Results>).started ?? "";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    started = "";
  }
  const stamp = (started || new Date().toISOString()).replace(/[:.]/g, "-");
  await Deno.rename(path, path.replace(/\.json$/, `-${stamp}.json`));
}
