/**
 * The results model: the one document every stage writes to and every report reads from.
 * `results.json` is this model, versioned; {@linkcode RESULTS_JSON_SCHEMA} is its JSON Schema
 * (generated from the zod schema below and committed as `results.schema.json`).
 *
 * In memory, artifact paths (log, .config, …) are absolute; in the file they are relative to
 * the file's directory, so a results directory can be moved, uploaded or merged whole.
 *
 * @module
 */
import { z } from "zod";
import type { Diagnostic } from "../diagnose/diagnostic.ts";
import type { Comparison } from "../compare/compare_results.ts";

/** The format version this kmatrix writes and reads. */
export const RESULTS_VERSION = 2;

/** Outcome of one record. `infra`: could not be judged; `interrupted`: stopped before the end. */
export const buildStatus = z.enum(["pass", "fail", "infra", "interrupted"]);
/** Outcome of one record. */
export type BuildStatus = z.infer<typeof buildStatus>;

// Loose: the diagnose stage owns the record's shape (lib/diagnose/diagnostic.ts); the schema
// checks the fields every reader relies on and keeps the rest.
const diagnostic = z.looseObject({
  kind: z.string(),
  severity: z.enum(["error", "warning", "note"]),
  message: z.string(),
  signature: z.string(),
  key: z.string(),
  text: z.string(),
  count: z.number(),
  file: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  symbol: z.string().optional(),
  object: z.string().optional(),
  function: z.string().optional(),
  option: z.string().optional(),
}) as unknown as z.ZodType<Diagnostic>;

/** One step of a build, with the exact command line kept for reproduction. */
export const buildStep = z.object({
  name: z.string().describe("config, merge, olddefconfig, build, size"),
  status: z.enum(["pass", "fail", "skip", "infra"]).describe(
    "skip: never ran because an earlier step failed",
  ),
  command: z.string().describe("the exact command line, shell-quoted, runnable by hand"),
  exit_code: z.number().nullable().describe("null when killed by a signal or skipped"),
  duration_s: z.number(),
});
/** One step of a build. */
export type BuildStep = z.infer<typeof buildStep>;

/** What the predictor said before the build, and its check against the real build. */
export const predictionRecord = z.object({
  status: z.enum(["pass", "fail"]),
  signatures: z.array(z.string()).describe("predicted error signatures (causes)"),
  consequences: z.array(z.string()).default([]).describe("make-level errors that follow"),
  dropped: z.array(z.object({ line: z.string(), why: z.string() })),
  reasons: z.array(z.string()),
  config: z.string().describe("path of the predicted .config"),
  objects: z.object({ builtin: z.number(), lib: z.number(), modules: z.number() }).optional(),
  unmodelled: z.array(z.unknown()).default([]),
  profile: z.object({
    origin: z.string(),
    path: z.string(),
    differences: z.array(z.string()),
  }).optional(),
  verdict: z.enum(["confirmed", "missed", "unjudged"]),
  differences: z.array(z.string()).describe("what decided a miss"),
  notes: z.array(z.string()).default([]).describe("differences that do not decide"),
});
/** The prediction of one record and its check. */
export type PredictionRecord = z.infer<typeof predictionRecord>;

/** One cell × variant record. */
export const cellResult = z.object({
  cell: z.string(),
  variant: z.string(),
  arch: z.string(),
  toolchain: z.string(),
  toolchain_version: z.string().describe("the compiler's --version line where the build ran"),
  runtime: z.string(),
  status: buildStatus,
  duration_s: z.number(),
  steps: z.array(buildStep),
  commands: z.array(z.string()),
  config: z.string().describe("path of the resolved .config"),
  log: z.string().describe("path of the full build log"),
  dropped: z.array(z.string()).describe("fragment lines not in the resolved .config"),
  diagnostics: z.array(diagnostic),
  prediction: predictionRecord.optional(),
  size: z.object({ text: z.number(), data: z.number(), bss: z.number() }).optional()
    .describe("vmlinux size, from the toolchain's size"),
  ccache: z.object({ hits: z.number(), misses: z.number() }).optional(),
  shared: z.object({ variant: z.string(), reason: z.string() }).optional()
    .describe("built once with the record of this variant: same compiler inputs"),
  cached: z.object({ key: z.string(), started: z.string() }).optional()
    .describe("taken from the result cache: the run that built it"),
  attempts: z.number().optional().describe("2 when an infra failure was retried"),
  reproducer: z.string().optional().describe("path of a script that redoes this build"),
  metadata: z.string().optional().describe("path of the tuxmake-shaped metadata.json"),
});
/** One cell × variant record. */
export type CellResult = z.infer<typeof cellResult>;

/** Where a run's inputs came from: enough to trust and to reproduce it. */
export const provenance = z.object({
  kmatrix: z.object({ version: z.string() }),
  matrix: z.object({ file: z.string(), sha256: z.string() }),
  tree: z.object({ source: z.string(), version: z.string(), commit: z.string() }),
  variants: z.array(z.object({
    name: z.string(),
    description: z.string().optional(),
    commit: z.string(),
    patches: z.array(z.object({ file: z.string(), sha256: z.string() })),
  })),
  runtime: z.object({ name: z.string(), identity: z.string(), environment: z.string() }),
  toolchains: z.array(z.object({
    name: z.string(),
    arch: z.string(),
    cc: z.string(),
    ld: z.string(),
  })),
  host: z.object({
    hostname: z.string(),
    os: z.string(),
    kernel: z.string(),
    cpus: z.number(),
  }),
});
/** Where a run's inputs came from. */
export type Provenance = z.infer<typeof provenance>;

const comparisonCell = z.looseObject({
  cell: z.string(),
  verdict: z.string(),
  base: buildStatus.optional(),
  head: buildStatus.optional(),
});

/** One candidate variant against the baseline, as the compare stage made it. */
export const storedComparison = z.object({
  base: z.string(),
  head: z.string(),
  cells: z.array(comparisonCell),
  counts: z.record(z.string(), z.number()),
}) as unknown as z.ZodType<Comparison & { base: string; head: string }>;
/** One stored comparison. */
export type StoredComparison = z.infer<typeof storedComparison>;

/** The whole `results.json` document. */
export const resultsSchema = z.object({
  version: z.literal(RESULTS_VERSION),
  matrix: z.string().describe("path of the matrix file"),
  started: z.string(),
  finished: z.string().optional(),
  provenance: provenance.optional(),
  baseline: z.string().optional(),
  results: z.array(cellResult),
  comparisons: z.array(storedComparison).default([]),
  predictions: z.object({ confirmed: z.number(), missed: z.number(), unjudged: z.number() })
    .optional(),
  shard: z.object({ index: z.number(), count: z.number(), plan: z.string() }).optional(),
});
/** The whole `results.json` document. */
export type Results = z.infer<typeof resultsSchema>;

/** The JSON Schema of `results.json` (draft 2020-12), from the zod schema. */
export const RESULTS_JSON_SCHEMA: Record<string, unknown> = {
  $id: `https://kmatrix.invalid/results-v${RESULTS_VERSION}.schema.json`,
  title: `kmatrix results, version ${RESULTS_VERSION}`,
  ...z.toJSONSchema(resultsSchema, { io: "input" }),
};
