/**
 * Build durations remembered between runs, so the scheduler starts the longest builds first and
 * the progress display knows how long a build should take. One JSON object in a file, keyed by
 * cell id, in seconds.
 *
 * @module
 */

/** Seconds each cell's last judged build took, by cell id. */
export type Durations = Record<string, number>;

/** The durations stored at `path`, or none when the file is missing or unreadable. */
export async function readDurations(path: string): Promise<Durations> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return {};
  }
}

/**
 * Write the durations atomically. Parallel jobs of one run finish at once, so each write has a
 * temporary name of its own: a name per process let one job's rename take the other's file.
 */
export async function writeDurations(path: string, durations: Durations): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(durations, null, 2) + "\n");
  await Deno.rename(tmp, path);
}
