/**
 * The scheduler's choice of the next build (lib/run/pick_job.ts): a cell's other variants wait
 * for its running build (ccache siblings), other cells start meanwhile, and the budget is never
 * exceeded. The queue of the default matrix's bench (2 cells × 3 variants, dedup groups, longest
 * first) is the concrete case; fast-check covers arbitrary queues. The effect on real builds is
 * measured by `deno task bench:matrix`.
 */
import fc from "fast-check";
import { assert, assertEquals } from "./_assert.ts";
import { pickJob, type QueuedJob } from "../lib/run/pick_job.ts";

const build = (cell: string): QueuedJob => ({ cell, configOnly: false });

Deno.test("pickJob: a cell's second variant waits; the other cell builds beside the first", () => {
  // Dedup groups of 2 cells × 3 variants, longest first: v6+v7 (2012 and review), v6+v7 (fix),
  // v7 (all three).
  const queue = [
    build("arm/gcc-12/v6+v7/xen-on"),
    build("arm/gcc-12/v6+v7/xen-on"),
    build("arm/gcc-12/v7/xen-on"),
  ];
  const first = pickJob(queue, new Set(), 2);
  assertEquals(first, { index: 0, jobs: 1 }, "two cells can start: the budget is split");
  const rest = queue.slice(1);
  const second = pickJob(rest, new Set(["arm/gcc-12/v6+v7/xen-on"]), 1);
  assertEquals(second, { index: 1, jobs: 1 }, "v7, not the v6+v7 sibling");
  assertEquals(pickJob(rest.slice(0, 1), new Set(["arm/gcc-12/v6+v7/xen-on"]), 1), undefined);
  assertEquals(
    pickJob(rest.slice(0, 1), new Set(), 2),
    { index: 0, jobs: 2 },
    "alone, the sibling gets the whole budget",
  );
});

Deno.test("pickJob: config steps never wait and take one job", () => {
  const queue = [{ cell: "a", configOnly: true }, build("b")];
  assertEquals(pickJob(queue, new Set(["a"]), 2), { index: 0, jobs: 1 });
  assertEquals(pickJob(queue, new Set(["a"]), 0), undefined);
});

Deno.test("pickJob: property: within the budget, never a building cell's build, never stuck", () => {
  const job = fc.record({ cell: fc.constantFrom("a", "b", "c"), configOnly: fc.boolean() });
  fc.assert(
    fc.property(
      fc.array(job, { maxLength: 8 }),
      fc.subarray(["a", "b", "c"]),
      fc.integer({ min: 0, max: 8 }),
      (queue, building, free) => {
        const picked = pickJob(queue, new Set(building), free);
        if (!picked) {
          // Waiting is right only when nothing can start.
          assert.ok(
            free < 1 || queue.every((j) => !j.configOnly && building.includes(j.cell)),
            "nothing started though a job could",
          );
          return;
        }
        const chosen = queue[picked.index]!;
        assert.ok(picked.jobs >= 1 && picked.jobs <= free, "within the free budget");
        assert.ok(chosen.configOnly || !building.includes(chosen.cell), "not a building cell");
        assert.ok(
          queue.slice(0, picked.index).every((j) => !j.configOnly && building.includes(j.cell)),
          "the first job that can start (queue order is longest first)",
        );
      },
    ),
  );
});
