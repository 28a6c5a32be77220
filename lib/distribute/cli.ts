/**
 * The `plan` and `merge` commands: cut a matrix into shards for machines kmatrix does not
 * schedule (a GitHub Actions job matrix, a TuxSuite plan), and put the shards' outputs back
 * into one results.json, reported as a local run is.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import pc from "picocolors";
import {
  loadMatrix,
  type Matrix,
  type RecordSelection,
  selectRecords,
} from "../matrix/load_matrix.ts";
import { planRun } from "../run/run_matrix.ts";
import { exitCode, parseFailOn } from "../run/exit_code.ts";
import { ensureTree } from "../tree/kernel_tree.ts";
import { formatSummary } from "../report/summary.ts";
import { formatAnnotations } from "../report/annotations.ts";
import { formatComparison } from "../compare/compare_results.ts";
import { readResults } from "../results/results_file.ts";
import { InputError } from "../errors.ts";
import { ghaMatrix, MAX_SHARDS, type ShardPlan, shardPlan } from "./shard_plan.ts";
import { tuxsuitePlan } from "./tuxsuite_plan.ts";
import { mergeResults } from "./merge_results.ts";

const PLAN_USAGE =
  `Usage: kmatrix plan [MATRIX.yaml] [--shards N|auto] [--format gha|json|tuxsuite] [--out FILE]
                    [--save FILE] [--cells GLOB,…] [--variants NAME,…] [--runtime NAME]

Cut the matrix (default: matrix.yaml) into shards for machines that run 'matrix --shard I/N'
each, and print the plan, predictions included, without building:
  gha       JSON for a GitHub Actions strategy.matrix: {"include":[{"shard":"1/3",…},…]}
  json      the whole plan: each shard's records with cache key, dedup group, expected time
            and predicted outcome
  tuxsuite  a TuxSuite plan (YAML) of the same builds, one job per variant

--shards auto (the default) makes shards of about 30 min from the durations remembered in the
cache, at most ${MAX_SHARDS} (GitHub's limit per matrix). Shards hold whole dedup groups. --out
writes to FILE instead of standard output; --save also writes the whole plan (json) to FILE.
--cells, --variants and --runtime must be given to 'matrix --shard' the same way.`;

const MERGE_USAGE = `Usage: kmatrix merge DIR… [--out DIR] [--plan PLAN.json] [--annotations]
                     [--fail-on regression,mismatch|none]

Merge the output directories of 'matrix --shard I/N' runs into DIR (default: out): one
results.json with every record in matrix order, the artifacts copied beside it, the comparisons
against the baseline; then report as 'matrix' does. Shards of another matrix, tree, toolchain
or plan, a missing or repeated shard and a record in two shards are refused (exit 2). --plan
also checks every planned record ran once. --annotations prints GitHub '::error' lines for
regressions and prediction misses. Exit codes as 'matrix'.`;

/** Run the `plan` command with `args`; returns the exit code. */
export async function planCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      shards: { type: "string", default: "auto" },
      format: { type: "string", default: "gha" },
      out: { type: "string" },
      save: { type: "string" },
      cells: { type: "string" },
      variants: { type: "string" },
      runtime: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(PLAN_USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    throw new InputError(`Cannot plan matrix '${positionals[1]}': give one matrix file`);
  }
  const format = values.format;
  if (format !== "gha" && format !== "json" && format !== "tuxsuite") {
    throw new InputError(`Cannot plan in format '${format}': give gha, json or tuxsuite`);
  }
  const shards = values.shards === "auto" ? "auto" as const : Number(values.shards);
  if (shards !== "auto" && (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS)) {
    throw new InputError(
      `Cannot use --shards '${values.shards}': give a whole number from 1 to ${MAX_SHARDS}, or auto`,
    );
  }
  const matrix = selected(await loadMatrix(positionals[0] ?? "matrix.yaml"), values);
  const progress = (line: string) => console.error(pc.dim(line));
  let text: string;
  if (format === "tuxsuite") {
    const tree = await ensureTree(matrix.tree, { onProgress: progress });
    text = (await tuxsuitePlan(matrix, tree)).text;
  } else {
    const run = await planRun(matrix, {
      cells: matrix.cells,
      variants: matrix.variants,
      ...(values.runtime ? { runtime: values.runtime } : {}),
      predict: true,
      onEvent: (e) => {
        if (e.kind === "progress") progress(e.line);
      },
    });
    const plan = shardPlan(run, shownPath(matrix.file), { shards });
    if (values.save) await Deno.writeTextFile(values.save, JSON.stringify(plan, null, 2) + "\n");
    text = format === "gha" ? JSON.stringify(ghaMatrix(plan)) : JSON.stringify(plan, null, 2);
    progress(
      `plan ${plan.id}: ${plan.totals.records} records, ${plan.totals.groups} builds, ${plan.shards.length} shards of ${
        plan.shards.map((s) => `${Math.ceil(s.expected_s / 60)}`).join("/")
      } min expected`,
    );
  }
  if (values.out) await Deno.writeTextFile(values.out, text.endsWith("\n") ? text : text + "\n");
  else console.log(text);
  return 0;
}

/** Run the `merge` command with `args`; returns the exit code. */
export async function mergeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: "out" },
      plan: { type: "string" },
      annotations: { type: "boolean", default: false },
      "fail-on": { type: "string", default: "regression,mismatch" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(MERGE_USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    throw new InputError("Cannot merge '': give the output directories of the shards");
  }
  const failOn = parseFailOn(values["fail-on"]);
  const plan = values.plan ? await readPlan(values.plan) : undefined;
  const matrixText = await matrixOf(positionals[0]!);
  const results = await mergeResults(positionals, {
    outDir: values.out,
    ...(plan ? { plan } : {}),
    ...(matrixText?.cells ? { cellOrder: matrixText.cells } : {}),
  });
  if (values.annotations) {
    const lines = formatAnnotations(results, {
      file: shownPath(results.matrix),
      ...(matrixText ? { matrixText: matrixText.text } : {}),
    });
    for (const l of lines) console.log(l);
  }
  console.log(formatSummary(results));
  for (const c of results.comparisons) {
    console.log(
      `\n${pc.bold(`${c.head} vs ${c.base}`)}\n${formatComparison(c, { errorsOnly: true })}`,
    );
  }
  console.log(`results: ${shownPath(join(values.out, "results.json"))}`);
  return exitCode(results, failOn);
}

function selected(matrix: Matrix, values: RecordSelection): Matrix {
  return { ...matrix, ...selectRecords(matrix, values) };
}

/** The matrix a shard ran, when it is here unchanged: its text and its cell order. */
async function matrixOf(dir: string): Promise<{ text: string; cells: string[] } | undefined> {
  const file = join(dir, "results.json");
  if (!existsSync(file)) return undefined;
  const prov = (await readResults(file)).provenance?.matrix;
  if (!prov || !existsSync(prov.file)) return undefined;
  const bytes = await Deno.readFile(prov.file);
  if (createHash("sha256").update(bytes).digest("hex") !== prov.sha256) return undefined;
  const matrix = await loadMatrix(prov.file);
  return { text: new TextDecoder().decode(bytes), cells: matrix.cells.map((c) => c.id) };
}

async function readPlan(file: string): Promise<ShardPlan> {
  let data: Partial<ShardPlan>;
  try {
    data = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new InputError(`Cannot read plan '${file}': ${(e as Error).message}`);
  }
  if (data?.version !== 1 || typeof data.id !== "string" || !Array.isArray(data.shards)) {
    throw new InputError(
      `Cannot read plan '${file}': not a plan of 'plan --format json' (version 1, id, shards)`,
    );
  }
  return data as ShardPlan;
}

/** A path as short as it can be said: relative below the cwd, else absolute. */
function shownPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") ? resolve(path) : rel;
}
