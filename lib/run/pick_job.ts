/**
 * Which build starts next under the job budget.
 *
 * @module
 */

/** What the scheduler needs to know of a queued job. */
export interface QueuedJob {
  /** The cell's id: builds of one cell in other variants are ccache siblings. */
  cell: string;
  /** Only the config step (a dedup follower): cheap, one job, never waits. */
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
 * The first job of `queue` (which is in start order: longest first) that can start now, and its
 * share of the `free` budget, or `undefined` to wait for a running build.
 *
 * A build whose cell is already building waits while it runs: two variants of one cell whose
 * `.config`s differ (the `fix` variant drops XEN) still compile mostly the same objects, and
 * ccache serves the second from the first only when they run one after the other; at once, both
 * miss. Other cells start in the meantime. The free budget is spread over the jobs that can start,
 * so the budget is never exceeded and a lone build gets all of it.
 */
export function pickJob(
  queue: readonly QueuedJob[],
  building: ReadonlySet<string>,
  free: number,
): PickedJob | undefined {
  if (free < 1) return undefined;
  const startable = queue.flatMap((job, index) =>
    job.configOnly || !building.has(job.cell) ? [index] : []
  );
  const index = startable[0];
  if (index === undefined) return undefined;
  const jobs = queue[index]!.configOnly
    ? 1
    : Math.max(1, Math.floor(free / Math.min(startable.length, free)));
  return { index, jobs };
}
