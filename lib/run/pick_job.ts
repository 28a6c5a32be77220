/**
 * Which job starts next under the job budget.
 *
 * @module
 */

/** What the scheduler needs to know of a queued job. */
export interface QueuedJob {
  /** Only the config step (a dedup follower): seconds long, one job. */
  configOnly: boolean;
}

/** The job to start and the make jobs it gets. */
export interface PickedJob {
  /** Its index in the queue. */
  index: number;
  /** Its make -j. */
  jobs: number;
}

/**
 * The next job of `queue` (in start order: longest first) and its share of the `free` budget, or
 * `undefined` to wait for a running job.
 *
 * Config steps start first, one job each. A build waits while config steps run: make's -j is
 * fixed when it starts, so a build started beside a config step that ends seconds later would
 * keep a share of the budget that is then idle (measured: a 4-minute record ran 9 minutes at
 * -j1 on 2 cores). The free budget is spread over the builds that are waiting, so it is never
 * exceeded and a lone build gets all of it.
 */
export function pickJob(
  queue: readonly QueuedJob[],
  free: number,
  configsRunning: number,
): PickedJob | undefined {
  if (free < 1 || queue.length === 0) return undefined;
  const config = queue.findIndex((j) => j.configOnly);
  if (config >= 0) return { index: config, jobs: 1 };
  if (configsRunning > 0) return undefined;
  return { index: 0, jobs: Math.max(1, Math.floor(free / Math.min(queue.length, free))) };
}
