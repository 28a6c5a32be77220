/**
 * Reading and writing `results.json`: validated with the model's schema, paths relative to the
 * file on disk and absolute in memory, written atomically.
 *
 * @module
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { InputError } from "../errors.ts";
import { type CellResult, type Results, RESULTS_VERSION, resultsSchema } from "./model.ts";

type Paths = Pick<CellResult, "config" | "log" | "reproducer" | "metadata">;

function mapPaths(results: Results, f: (p: string) => string): Results {
  const one = <T extends Paths>(r: T): T => ({
    ...r,
    config: r.config && f(r.config),
    log: r.log && f(r.log),
    ...(r.reproducer ? { reproducer: f(r.reproducer) } : {}),
    ...(r.metadata ? { metadata: f(r.metadata) } : {}),
  });
  return {
    ...results,
    results: results.results.map((r) => ({
      ...one(r),
      ...(r.prediction ? { prediction: { ...r.prediction, config: f(r.prediction.config) } } : {}),
    })),
  };
}

/**
 * Read and validate a results file; every problem is an {@linkcode InputError} saying which
 * file and what (an older version says so and what to do).
 */
export async function readResults(file: string): Promise<Results> {
  let data: unknown;
  try {
    data = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new InputError(`Cannot read results '${file}': ${(e as Error).message}`);
  }
  const version = (data as { version?: unknown })?.version;
  if (version !== RESULTS_VERSION) {
    throw new InputError(
      `Cannot read results '${file}': it is version ${
        JSON.stringify(version ?? null)
      }, this kmatrix reads version ${RESULTS_VERSION}; run the matrix again to get one`,
    );
  }
  const parsed = resultsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(
      `Cannot read results '${file}': ${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
  }
  const dir = dirname(resolve(file));
  return mapPaths(parsed.data, (p) => isAbsolute(p) ? p : resolve(dir, p));
}

let writes = 0;

/** Write results atomically (a reader never sees half a file), paths relative to the file. */
export async function writeResults(file: string, results: Results): Promise<void> {
  const dir = dirname(resolve(file));
  const out = mapPaths(results, (p) => isAbsolute(p) ? relative(dir, p) : p);
  const tmp = `${file}.${Deno.pid}.${++writes}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(out, null, 2) + "\n");
  await Deno.rename(tmp, file);
}
