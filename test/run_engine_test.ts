/**
 * The run engine's scheduling and progress: a parallel run (two builds at once under a budget of
 * two jobs, every make joined to the run's jobserver) gives the results a serial run gives; the progress display draws live lines on a
 * terminal (checked under a pty with `script`) and plain timestamped lines without one.
 * The builds are one object each (drivers/xen/grant-table.o), the fewest that prove the point.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { type RunEvent, runMatrix } from "../lib/run/run_matrix.ts";
import { progressDisplay } from "../lib/run/progress.ts";
import { configBody } from "../lib/kconfig/config_file.ts";
import type { Results } from "../lib/results/model.ts";

const ROOT = join(import.meta.dirname!, "..");

function outcome(results: Results) {
  return results.results.map((r) => ({
    record: `${r.variant} ${r.cell}`,
    status: r.status,
    errors: r.diagnostics.filter((d) => d.severity === "error").map((d) => d.signature),
    config: configBody(Deno.readTextFileSync(r.config)),
  }));
}

Deno.test({
  name: "run engine: a parallel run's results equal a serial run's",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
    matrix.targets = ["drivers/xen/grant-table.o"];
    const variants = matrix.variants.filter((v) => v.name === "2012");
    const cells = matrix.cells.filter((c) => /\/(v7|v6\+v7)\/xen-on$/.test(c.id));
    const run = async (jobs: number) => {
      const out = await Deno.makeTempDir({ prefix: `kmatrix-j${jobs}-` });
      let running = 0, most = 0;
      const results = await runMatrix(matrix, {
        outDir: out,
        cells,
        variants,
        jobs,
        cache: false,
        predict: false,
        onEvent: (e: RunEvent) => {
          if (e.kind === "start") {
            running++;
            most = Math.max(most, running);
            // Each make starts on a slot of the jobserver and takes more only from it.
            assert.ok(running <= jobs, `never more makes than the budget (${running} > ${jobs})`);
            assertEquals(e.jobs, jobs, "every make is told the whole budget");
          }
          if (e.kind === "done") running--;
        },
      });
      return { results, most, out };
    };
    const serial = await run(1);
    const parallel = await run(2);
    assertEquals(serial.most, 1);
    assertEquals(parallel.most, 2, "two builds ran at once");
    assertEquals(outcome(parallel.results), outcome(serial.results));
    assertEquals(parallel.results.results.length, 2);
    for (const r of [...serial.results.results, ...parallel.results.results]) {
      const log = await Deno.readTextFile(r.log);
      assert.ok(
        !/jobserver unavailable/.test(log),
        `the kernel's make joined the jobserver: ${r.log}`,
      );
      assert.match(log, /MAKEFLAGS=\$'-j\d --jobserver-auth=3,3'/);
    }
    for (const o of [serial.out, parallel.out]) await Deno.remove(o, { recursive: true });
  },
});

const EVENTS: RunEvent[] = [
  {
    kind: "start",
    index: 1,
    total: 2,
    cell: "arm/gcc-12/v7/xen-on",
    variant: "2012",
    jobs: 2,
    expected: 533,
    configOnly: false,
  },
  {
    kind: "building",
    cell: "arm/gcc-12/v7/xen-on",
    variant: "2012",
    progress: { step: "build", objects: 120 },
    expected: 533,
    elapsed_s: 3,
  },
];

Deno.test("progress: without a terminal, timestamped lines and one per running build", async () => {
  const lines: string[] = [];
  const display = progressDisplay({ tty: false, intervalS: 0.2, write: (l) => lines.push(l) });
  for (const e of EVENTS) display.onEvent(e);
  await new Promise((r) => setTimeout(r, 500));
  display.close();
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d start 2012 arm\/gcc-12\/v7\/xen-on \(-j2\)$/);
  const running = lines.filter((l) => l.includes("running:"));
  assert.ok(running.length >= 2, lines.join("\n"));
  assert.match(
    running[0]!,
    /^\d\d:\d\d:\d\d running: 2012 arm\/gcc-12\/v7\/xen-on: build, 120\/533 objects, \d+ s$/,
  );
});

Deno.test("progress: on a terminal, a live line per build and an overall bar (under a pty)", async () => {
  const script = `
    import { progressDisplay } from ${JSON.stringify(join(ROOT, "lib/run/progress.ts"))};
    const d = progressDisplay();
    for (const e of ${JSON.stringify(EVENTS)}) d.onEvent(e);
    await new Promise((r) => setTimeout(r, 1500));
    d.close();`;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  // script(1) gives the child a pty: stderr.isTerminal() is true there.
  const out = await new Deno.Command("script", {
    args: [
      "-qec",
      `stty cols 120 rows 40; ${Deno.execPath()} run -A --config ${
        join(ROOT, "deno.json")
      } ${file}`,
      "/dev/null",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  await Deno.remove(file);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /2012 arm\/gcc-12\/v7\/xen-on: build, 120\/533 objects, \d+ s/);
  assert.match(text, /\[#*-+\] 0\/2 records/);
  // Drawn in place: log-update moves the cursor up (ESC [ n A) and erases lines (ESC [ 2K).
  // deno-lint-ignore no-control-regex
  assert.match(text, /\x1b\[\d*A|\x1b\[2K/);
});
