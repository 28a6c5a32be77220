/**
 * The run's jobserver (lib/execute/job_server.ts) with real GNU make: makes that join it share
 * its budget as sub-makes share make's own — two jobs at once under a budget of 2, never three,
 * whether two makes run side by side or one runs alone (then it takes the whole budget, where a
 * make started with the `-j1` share it had at its start would run one job at a time). Each job
 * counts the jobs running while it runs (a marker file per running job, counted by the shell's
 * glob: `ls` would race with a marker removed between the glob and its stat).
 */
import { join } from "node:path";
import { $ } from "zx";
import { assertEquals } from "./_assert.ts";
import { JobServer, joinJobServer } from "../lib/execute/job_server.ts";

const MAKEFILE = `
.PHONY: all $(JOBS)
all: $(JOBS)
$(JOBS):
\t@touch run.$@; sleep 0.3; set -- run.*; echo $$# >> seen; rm run.$@
`;

/** Start `makes` makes of `jobs` jobs each, each on a slot taken from `server`, as a run does. */
async function runMakes(server: JobServer, dir: string, makes: number, jobs: number) {
  await Deno.writeTextFile(join(dir, "Makefile"), MAKEFILE);
  await Deno.remove(join(dir, "seen")).catch(() => {});
  const runs = [];
  for (let m = 0; m < makes; m++) {
    await server.acquire();
    const names = Array.from({ length: jobs }, (_, j) => `m${m}j${j}`).join(" ");
    const { argv, env } = joinJobServer(["make", "-s", `JOBS=${names}`], server);
    runs.push(
      $({ cwd: dir, env: { ...Deno.env.toObject(), ...env }, quiet: true })`${argv}`
        .finally(() => server.release()),
    );
  }
  const outputs = await Promise.all(runs);
  const seen = (await Deno.readTextFile(join(dir, "seen"))).trim().split("\n").map(Number);
  return { seen, stderr: outputs.map((o) => o.stderr).join("") };
}

Deno.test("jobserver: two makes share a budget of 2, a lone make takes all of it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-jobserver-" });
  const server = await JobServer.create(join(dir, "fifo"), 2);
  try {
    const two = await runMakes(server, dir, 2, 3);
    assertEquals(two.seen.length, 6);
    assertEquals(Math.max(...two.seen), 2, `jobs running at each start: ${two.seen}`);
    assertEquals(two.stderr, "", "make joined the jobserver without a warning");

    const lone = await runMakes(server, dir, 1, 4);
    assertEquals(Math.max(...lone.seen), 2, `a lone make ran ${lone.seen} jobs at once`);

    // Slots a killed make held are lost; renew (when no make runs) restores the whole budget.
    await server.acquire();
    await server.acquire();
    await server.renew();
    const after = await runMakes(server, dir, 1, 4);
    assertEquals(Math.max(...after.seen), 2);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
