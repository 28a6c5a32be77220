/**
 * The scheduler's choice of the next job (lib/run/pick_job.ts): config steps first, a build never
 * starts beside a running config step (it would keep a share of the budget that is idle seconds
 * later), and the budget is never exceeded. The queue after a leader of the default matrix's bench
 * finishes (its follower's config step, then the next build) is the concrete case; fast-check
 * covers arbitrary queues. The effect on real builds is measured by `deno task bench:matrix`.
 */
import fc from "fast-check";
import { assert, assertEquals } from "./_assert.ts";
import { pickJob } from "../lib/run/pick_job.ts";

const build = { configOnly: false };
const config = { configOnly: true };

Deno.test("pickJob: a follower's config step first, then the build with the whole budget", () => {
  // 2012 v6+v7 has just finished on 2 cores: review's config step and fix's build are queued.
  const queue = [build, config];
  assertEquals(pickJob(queue, 2, 0), { index: 1, jobs: 1 }, "the config step first");
  assertEquals(pickJob([build], 1, 1), undefined, "the build waits for the config step");
  assertEquals(pickJob([build], 2, 0), { index: 0, jobs: 2 }, "then it gets all of the budget");
  assertEquals(pickJob([build, build], 2, 0), { index: 0, jobs: 1 }, "two builds share it");
  assertEquals(pickJob([build, build, build], 2, 0), { index: 0, jobs: 1 });
  assertEquals(pickJob([config], 0, 0), undefined, "no budget, no start");
});

Deno.test("pickJob: property: within the budget, config steps first, never stuck", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ configOnly: fc.boolean() }), { maxLength: 8 }),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 0, max: 3 }),
      (queue, free, configsRunning) => {
        const picked = pickJob(queue, free, configsRunning);
        if (!picked) {
          // Waiting is right only when nothing may start.
          assert.ok(
            free < 1 || queue.length === 0 ||
              (configsRunning > 0 && queue.every((j) => !j.configOnly)),
            "nothing started though a job could",
          );
          return;
        }
        const chosen = queue[picked.index]!;
        assert.ok(picked.jobs >= 1 && picked.jobs <= free, "within the free budget");
        if (chosen.configOnly) assertEquals(picked.jobs, 1);
        else {
          assert.ok(queue.every((j) => !j.configOnly), "config steps before builds");
          assertEquals(configsRunning, 0, "no build beside a running config step");
          assertEquals(picked.index, 0, "builds in queue order (longest first)");
        }
      },
    ),
  );
});
