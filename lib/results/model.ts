/**
 * The record one build leaves: what the build stage writes to `results.json` and what the
 * compare and report stages read.
 *
 * @module
 */
import type { Diagnostic } from "../diagnose/diagnostic.ts";

/** Outcome of one cell x variant build. `infra` means the build could not be judged. */
export type BuildStatus = "pass" | "fail" | "infra";

/** One step of a build (config, build), with the exact command line kept for reproduction. */
export interface BuildStep {
  /** Step name: `config`, `merge`, `olddefconfig`, `build`. */
  name: string;
  /** The exact command line, shell-quoted, runnable by hand. */
  command: string;
  /** Exit code of the command (null when it was killed by a signal). */
  exit_code: number | null;
  /** Wall time in seconds. */
  duration_s: number;
}

/** What the predictor said before the build, and whether the build confirmed it. */
export interface PredictionRecord {
  /** Predicted outcome. */
  status: "pass" | "fail";
  /** Predicted error signatures (causes). */
  signatures: string[];
  /** Fragment lines predicted not to reach `.config`, each with the failing term. */
  dropped: { line: string; why: string }[];
  /** Why, in words: dropped lines, rules that fired, each hit. */
  reasons: string[];
  /** Absolute path of the predicted `.config`. */
  config: string;
  /** `confirmed` when the real build matched in status, error signatures and `.config`. */
  verdict: "confirmed" | "missed" | "unjudged";
  /** What differed from the real build (empty when confirmed). */
  differences: string[];
  /** The toolchain profile the config was resolved with (see lib/environment/). */
  profile?: { origin: string; path: string; differences: string[] };
}

/** One cell x variant result. */
export interface CellResult {
  /** Stable cell id, such as `arm/gcc-12/v6+v7/xen-on`. */
  cell: string;
  /** Variant name, such as `2012`. */
  variant: string;
  /** Kernel ARCH. */
  arch: string;
  /** Toolchain name, such as `gcc-12`. */
  toolchain: string;
  /** The compiler's exact `--version` line in the runtime the build ran in. */
  toolchain_version: string;
  /** The runtime the build ran in. */
  runtime: string;
  /** Build outcome. */
  status: BuildStatus;
  /** Wall time of all steps, in seconds. */
  duration_s: number;
  /** The steps in order, with exact commands. */
  steps: BuildStep[];
  /** The exact commands run, in order (the `command` of each step). */
  commands: string[];
  /** Absolute path of the resolved `.config`. */
  config: string;
  /** Absolute path of the full build log. */
  log: string;
  /** Fragment lines requested but not present in the resolved `.config`. */
  dropped: string[];
  /** Diagnostics parsed from the log. */
  diagnostics: Diagnostic[];
  /** The prediction for this build and its check (absent with `--no-predict`). */
  prediction?: PredictionRecord;
}

/** The whole `results.json` document. */
export interface Results {
  /** Format version of this document. */
  version: 1;
  /** Path of the matrix file that produced it. */
  matrix: string;
  /** ISO time the run started. */
  started: string;
  /** One record per cell x variant that ran. */
  results: CellResult[];
}
