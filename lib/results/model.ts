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
export const RESULTS_VERSION = 2 as const;

/** The record a shared record was built with: `2012`, or `2012 arm/gcc-12/v6+v7/xen-off`. */
export function sharedWith(shared: { variant: string; cell?: string }): string {
  return shared.cell ? `${shared.variant} ${shared.cell}` : shared.variant;
}

/** Outcome of one record. `infra`: could not be judged; `interrupted`: stopped before the end. */
export type BuildStatus = "pass" | "fail" | "infra" | "interrupted";
const buildStatus = z.enum(["pass", "fail", "infra", "interrupted"]);

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
export interface BuildStep {
  /** `config`, `merge`, `olddefconfig`, `build`. */
  name: string;
  /** `skip`: never ran because an earlier step failed. */
  status: "pass" | "fail" | "skip" | "infra";
  /** The exact command line, shell-quoted, runnable by hand. */
  command: string;
  /** Exit code; null when killed by a signal or skipped. */
  exit_code: number | null;
  /** Wall time in seconds. */
  duration_s: number;
}
const buildStep: z.ZodType<BuildStep> = z.object({
  name: z.string().describe("config, merge, olddefconfig, build, size"),
  status: z.enum(["pass", "fail", "skip", "infra"]).describe(
    "skip: never ran because an earlier step failed",
  ),
  command: z.string().describe("the exact command line, shell-quoted, runnable by hand"),
  exit_code: z.number().nullable().describe("null when killed by a signal or skipped"),
  duration_s: z.number(),
});

/** What the predictor said before the build, and its check against the real build. */
export interface PredictionRecord {
  /** Predicted outcome. */
  status: "pass" | "fail";
  /** Predicted error signatures (causes). */
  signatures: string[];
  /** Make-level errors that follow from the causes. */
  consequences: string[];
  /** Fragment lines predicted not to reach `.config`, with the failing term. */
  dropped: { line: string; why: string }[];
  /** Why, in words. */
  reasons: string[];
  /** Path of the predicted `.config`. */
  config: string;
  /** Size of the object model. */
  objects?: { builtin: number; lib: number; modules: number };
  /** Directories the object model could not evaluate faithfully. */
  unmodelled?: unknown[];
  /** The toolchain profile the config was resolved with. */
  profile?: { origin: string; path: string; differences: string[] };
  /** `confirmed` when the real build matched in status, error signatures and `.config`. */
  verdict: "confirmed" | "missed" | "unjudged";
  /** What decided a miss. */
  differences: string[];
  /** Differences that do not decide. */
  notes: string[];
}
const predictionRecord: z.ZodType<PredictionRecord> = z.object({
  status: z.enum(["pass", "fail"]),
  signatures: z.array(z.string()).describe("predicted error signatures (causes)"),
  consequences: z.array(z.string()).default([]).describe("make-level errors that follow"),
  dropped: z.array(z.object({ line: z.string(), why: z.string() })),
  reasons: z.array(z.string()),
  config: z.string().describe("path of the predicted .config"),
  objects: z.object({ builtin: z.number(), lib: z.number(), modules: z.number() }).optional(),
  unmodelled: z.array(z.unknown()).optional(),
  profile: z.object({
    origin: z.string(),
    path: z.string(),
    differences: z.array(z.string()),
  }).optional(),
  verdict: z.enum(["confirmed", "missed", "unjudged"]),
  differences: z.array(z.string()).describe("what decided a miss"),
  notes: z.array(z.string()).default([]).describe("differences that do not decide"),
});

/** One cell × variant record. */
export interface CellResult {
  /** Stable cell id, such as `arm/gcc-12/v6+v7/xen-on`. */
  cell: string;
  /** Variant name, such as `2012`. */
  variant: string;
  /** Kernel ARCH. */
  arch: string;
  /** Toolchain name, such as `gcc-12`. */
  toolchain: string;
  /** The compiler's `--version` line in the runtime the build ran in. */
  toolchain_version: string;
  /** The runtime the build ran in. */
  runtime: string;
  /** Outcome. */
  status: BuildStatus;
  /** Wall time of all steps, in seconds. */
  duration_s: number;
  /** The steps in order, with exact commands and status. */
  steps: BuildStep[];
  /** The commands that ran, in order. */
  commands: string[];
  /** Path of the resolved `.config`. */
  config: string;
  /** Path of the full build log. */
  log: string;
  /** Fragment lines not in the resolved `.config`. */
  dropped: string[];
  /** Diagnostics parsed from the log. */
  diagnostics: Diagnostic[];
  /** The prediction and its check (absent with `--no-predict`). */
  prediction?: PredictionRecord;
  /** vmlinux size from the toolchain's `size`. */
  size?: { text: number; data: number; bss: number };
  /** ccache hits and misses of this build. */
  ccache?: { hits: number; misses: number };
  /**
   * Built once with the record of this variant (and of `cell`, when it is another cell): the
   * same compiler input.
   */
  shared?: { variant: string; cell?: string; reason: string };
  /** Taken from the result cache: its key and the run that built it. */
  cached?: { key: string; started: string };
  /** 2 when an infra failure was retried (absent: 1). */
  attempts?: number;
  /** Path of a script that redoes this build. */
  reproducer?: string;
  /** Path of the tuxmake-shaped metadata.json. */
  metadata?: string;
}
const cellResult: z.ZodType<CellResult> = z.object({
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
  shared: z.object({
    variant: z.string(),
    cell: z.string().optional().describe("the record's cell when it is another cell"),
    reason: z.string(),
  }).optional()
    .describe("built once with the record of this variant: same compiler inputs"),
  cached: z.object({ key: z.string(), started: z.string() }).optional()
    .describe("taken from the result cache: the run that built it"),
  attempts: z.number().optional().describe("2 when an infra failure was retried"),
  reproducer: z.string().optional().describe("path of a script that redoes this build"),
  metadata: z.string().optional().describe("path of the tuxmake-shaped metadata.json"),
});

/** Where a run's inputs came from: enough to trust and to reproduce it. */
export interface Provenance {
  /** The kmatrix that ran. */
  kmatrix: { version: string };
  /** The matrix file and its SHA-256. */
  matrix: { file: string; sha256: string };
  /** The tree: source as written, version, commit. */
  tree: { source: string; version: string; commit: string };
  /** Each variant's commit and patches with their SHA-256. */
  variants: {
    name: string;
    description?: string;
    commit: string;
    patches: { file: string; sha256: string }[];
  }[];
  /** The runtime, its identity (packages) and environment. */
  runtime: { name: string; identity: string; environment: string };
  /** Each toolchain's exact compiler and linker versions. */
  toolchains: { name: string; arch: string; cc: string; ld: string }[];
  /** The machine. */
  host: { hostname: string; os: string; kernel: string; cpus: number };
}
const provenance: z.ZodType<Provenance> = z.object({
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

const comparisonCell = z.looseObject({
  cell: z.string(),
  verdict: z.string(),
  base: buildStatus.optional(),
  head: buildStatus.optional(),
});

/** One candidate variant against the baseline, as the compare stage made it. */
export interface StoredComparison extends Comparison {
  /** The baseline variant. */
  base: string;
  /** The candidate variant. */
  head: string;
}
const storedComparison = z.object({
  base: z.string(),
  head: z.string(),
  cells: z.array(comparisonCell),
  counts: z.record(z.string(), z.number()),
}) as unknown as z.ZodType<StoredComparison>;

/** The whole `results.json` document. */
export interface Results {
  /** Format version. */
  version: typeof RESULTS_VERSION;
  /** Path of the matrix file. */
  matrix: string;
  /** ISO time the run started. */
  started: string;
  /** ISO time the run ended. */
  finished?: string;
  /** Where the inputs came from. */
  provenance?: Provenance;
  /** The variant the others are compared with. */
  baseline?: string;
  /** One record per cell × variant. */
  results: CellResult[];
  /** Each candidate variant against the baseline. */
  comparisons: StoredComparison[];
  /** How the predictions fared. */
  predictions?: { confirmed: number; missed: number; unjudged: number };
  /** The shard this run was, of which plan. */
  shard?: { index: number; count: number; plan: string };
}

/** The zod schema of {@linkcode Results}; `readResults` validates with it. */
export const resultsSchema: z.ZodType<Results> = z.object({
  version: z.literal(RESULTS_VERSION),
  matrix: z.string().describe("path of the matrix file"),
  started: z.string(),
  finished: z.string().optional(),
  provenance: provenance.optional(),
  baseline: z.string().optional(),
  results: z.array(cellResult),
  comparisons: z.array(storedComparison),
  predictions: z.object({ confirmed: z.number(), missed: z.number(), unjudged: z.number() })
    .optional(),
  shard: z.object({ index: z.number(), count: z.number(), plan: z.string() }).optional(),
});

/** The JSON Schema of `results.json` (draft 2020-12), from the zod schema. */
export const RESULTS_JSON_SCHEMA: Record<string, unknown> = {
  $id: `https://kmatrix.invalid/results-v${RESULTS_VERSION}.schema.json`,
  title: `kmatrix results, version ${RESULTS_VERSION}`,
  ...z.toJSONSchema(resultsSchema, { io: "input" }),
};
