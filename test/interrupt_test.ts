/**
 * Interruption (issue 13): SIGINT to a running `matrix` kills every process of the build (make,
 * the compilers under it) within 2 s, keeps the results file with the record marked
 * `interrupted`, exits 130; the next run builds that record and nothing else. One cheap target
 * (drivers/xen/grant-table.o) keeps the resumed build short.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { readResults } from "../lib/results/results_file.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";

const ROOT = join(import.meta.dirname!, "..");
const CELL = "arm/gcc-12/v7/xen-on";

/** The pids whose command line mentions `needle` (ps, as a person would check). */
async function processesWith(needle: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid,args"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    l.includes(needle) && !l.includes("ps -eo")
  );
}

Deno.test({
  name: "interrupt: SIGINT kills the whole build within 2 s, keeps results, and a re-run resumes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const dir = await Deno.makeTempDir({ prefix: "kmatrix-interrupt-" });
    const matrixText = (await Deno.readTextFile(join(ROOT, "matrix.yaml")))
      .replace(/^targets: .*$/m, "targets: [drivers/xen/grant-table.o]")
      .replaceAll("cross/patches/", `${ROOT}/cross/patches/`);
    const matrixFile = join(dir, "matrix.yaml");
    await Deno.writeTextFile(matrixFile, matrixText);
    const out = join(dir, "out");
    const args = [
      "run",
      "-A",
      join(ROOT, "mod.ts"),
      "matrix",
      matrixFile,
      "--cells",
      CELL,
      "--variants",
      "2012",
      "--out",
      out,
      "--no-predict",
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args: [...args, "--no-cache"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Wait until make runs for this record (its O= directory is on make's command line).
    // This cache's O= directory of the record: another build on the machine is not ours.
    const obj = "build/arm_gcc-12_v7_xen-on";
    const ours = (lines: string[]) => lines.filter((l) => l.includes(cacheDir()));
    // The run first checks its input and prepares the tree and the variant (minutes when the
    // cache is cold); then make starts.
    let exited = false;
    child.status.then(() => exited = true);
    while (ours(await processesWith(`make -C`)).filter((l) => l.includes(obj)).length === 0) {
      assert.ok(!exited, "the run ended before make started");
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const before = ours(await processesWith(obj));
    assert.ok(before.length > 0);
    child.kill("SIGINT");
    const t0 = performance.now();
    const status = await child.status;
    await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (performance.now() - t0))));
    assertEquals(ours(await processesWith(obj)), [], "no process of the build survives 2 s");
    assertEquals(status.code, 130);
    const kept = await readResults(join(out, "results.json"));
    assertEquals(kept.results.map((r) => [r.cell, r.status]), [[CELL, "interrupted"]]);

    // The next run builds the interrupted record, for real.
    const again = await new Deno.Command(Deno.execPath(), {
      args: [...args, "--no-cache"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(again.code, 0, new TextDecoder().decode(again.stderr));
    const resumed = await readResults(join(out, "results.json"));
    assertEquals(resumed.results.map((r) => [r.cell, r.status]), [[CELL, "pass"]]);
    await Deno.remove(dir, { recursive: true });
  },
});
