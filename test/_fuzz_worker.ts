/**
 * Fuzz worker (see test/fuzz_test.ts): runs one parser on thousands of mutated real inputs
 * with fast-check, in a worker so that the test can kill it when a case hangs. Before each
 * case it posts the input; at the end it posts the verdict.
 *
 * Accepted outcomes: a result, or a typed error (see {@linkcode isTypedError}). Anything else
 * (a TypeError from a missing check, a RangeError from runaway recursion, a case slower than
 * the time bound) fails the property, and fast-check shrinks it to a small input.
 *
 * @module
 */
import fc from "fast-check";
import { join } from "node:path";
import { Kconfig } from "../lib/kconfig/kconfig.ts";
import type { MacroHost } from "../lib/kconfig/macro.ts";
import { classifyLog, parseLog } from "../lib/diagnose/parse_log.ts";
import { parsePatch } from "../lib/patch/intake.ts";
import { checkPatchText } from "../lib/patch/check_patch.ts";
import { parseMatrix } from "../lib/matrix/load_matrix.ts";

/** The worker's global scope (the file is type-checked with the window's types). */
const scope = self as unknown as {
  postMessage(message: FuzzMessage): void;
  onmessage: ((e: MessageEvent<FuzzJob>) => void) | null;
};

/** What the test asks of the worker. */
export interface FuzzJob {
  /** Which parser. */
  target: "kconfig" | "log" | "patch" | "matrix";
  /** The real inputs to mutate. */
  seeds: string[];
  /** How many cases. */
  runs: number;
  /** fast-check seed, so a failure can be replayed. */
  seed: number;
  /** Per-case time bound, in milliseconds. */
  caseMs: number;
  /** A scratch directory (the Kconfig target writes its tree there). */
  scratch: string;
  /** The repository (the matrix target resolves patch paths there). */
  repo: string;
}

/** What the worker says. */
export type FuzzMessage =
  | { kind: "case"; index: number; input: string }
  | { kind: "done"; runs: number; results: number; errors: number; slowestMs: number }
  | { kind: "fail"; message: string };

/**
 * A typed error: an `Error` the code threw on purpose (plain `Error`, `InputError`,
 * `LocatedError`, `KconfigError`) with a message, not one the runtime threw for a bug
 * (`TypeError`, `RangeError`, …).
 */
export function isTypedError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (
    e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError ||
    e instanceof ReferenceError || e instanceof EvalError || e instanceof URIError
  ) return false;
  return ["Error", "InputError", "LocatedError", "KconfigError"].includes(e.name) &&
    e.message.length > 0;
}

/** A mutation of a text: the kinds a corrupted file shows. */
type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "delete"; at: number }
  | { kind: "duplicate"; at: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; text: string };

/** Characters and tokens that parsers treat specially. */
const TOKENS = [
  "\n",
  "\t",
  " ",
  "\\",
  '"',
  "'",
  "$(",
  ")",
  "#",
  ":",
  "-",
  "@@ -1 +1 @@",
  "diff --git a/x b/x",
  "if",
  "endif",
  "choice",
  "menu",
  "config ",
  "depends on ",
  "&&",
  "!",
  "=",
  "{",
  "[",
  "*",
  "&",
  "\0",
  "\u00e9",
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })),
  }),
);

/** Apply mutations: byte flips and inserts at byte offsets, deletions of whole lines. */
export function mutate(text: string, mutations: readonly Mutation[]): string {
  let bytes = new TextEncoder().encode(text);
  for (const m of mutations) {
    if (m.kind === "flip") {
      if (bytes.length === 0) continue;
      bytes = bytes.slice();
      bytes[m.at % bytes.length]! ^= 1 << m.bit;
    } else if (m.kind === "truncate") {
      bytes = bytes.slice(0, m.at % (bytes.length + 1));
    } else if (m.kind === "insert") {
      const at = m.at % (bytes.length + 1);
      const add = new TextEncoder().encode(m.text);
      const out = new Uint8Array(bytes.length + add.length);
      out.set(bytes.subarray(0, at));
      out.set(add, at);
      out.set(bytes.subarray(at), at + add.length);
      bytes = out;
    } else {
      const lines = new TextDecoder().decode(bytes).split("\n");
      const at = m.at % lines.length;
      if (m.kind === "delete") lines.splice(at, 1);
      else lines.splice(at, 0, lines[at]!);
      bytes = new TextEncoder().encode(lines.join("\n"));
    }
  }
  return new TextDecoder().decode(bytes);
}

/** A window of up to `max` lines of a seed, so one case stays small and fast. */
function windowOf(text: string, start: number, max: number): string {
  const lines = text.split("\n");
  if (lines.length <= max) return text;
  const from = start % (lines.length - max + 1);
  return lines.slice(from, from + max).join("\n");
}

/** The parser under test; returns normally for a result, throws for an error. */
function targetFor(job: FuzzJob): (input: string) => void {
  switch (job.target) {
    case "kconfig": {
      const host: MacroHost = {
        env: (name) =>
          ({ ARCH: "arm", SRCARCH: "arm", srctree: job.scratch, CC: "gcc", LD: "ld" })[name],
        shell: () => "",
      };
      return (input) => {
        Deno.writeTextFileSync(join(job.scratch, "Kconfig"), input);
        const kc = new Kconfig(job.scratch, "arm", host);
        kc.allnoconfig().write();
        kc.allyesconfig().write();
      };
    }
    case "log":
      return (input) => {
        const d = parseLog(input);
        classifyLog(input, d);
      };
    case "patch":
      return (input) => {
        checkPatchText(input);
        parsePatch(input);
      };
    case "matrix":
      return (input) => {
        parseMatrix(input, { file: join(job.repo, "fuzz.yaml"), displayName: "fuzz.yaml" });
      };
  }
}

function run(job: FuzzJob): FuzzMessage {
  const parse = targetFor(job);
  const window = job.target === "kconfig" ? 150 : 400;
  const input = fc.record({
    seed: fc.nat(job.seeds.length - 1),
    start: fc.nat(),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 8 }),
  }).map(({ seed, start, mutations }) =>
    mutate(windowOf(job.seeds[seed]!, start, window), mutations)
  );
  let index = 0, results = 0, errors = 0, slowestMs = 0;
  try {
    fc.assert(
      fc.property(input, (text) => {
        scope.postMessage({ kind: "case", index: index++, input: text } satisfies FuzzMessage);
        const t0 = performance.now();
        try {
          parse(text);
          results++;
        } catch (e) {
          if (!isTypedError(e)) throw e;
          errors++;
        }
        const ms = performance.now() - t0;
        slowestMs = Math.max(slowestMs, ms);
        if (ms > job.caseMs) {
          throw new Error(`case took ${Math.round(ms)} ms, over the ${job.caseMs} ms bound`);
        }
      }),
      { numRuns: job.runs, seed: job.seed, endOnFailure: false },
    );
  } catch (e) {
    return { kind: "fail", message: (e as Error).message };
  }
  return { kind: "done", runs: job.runs, results, errors, slowestMs: Math.round(slowestMs) };
}

scope.onmessage = (e: MessageEvent<FuzzJob>) => {
  scope.postMessage(run(e.data));
};
