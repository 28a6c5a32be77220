/**
 * Impact analysis speed, beside the real make loop it replaces.
 *
 * `deno task bench:impact` (= `deno run -A bench/impact_bench.ts`) classifies every arm
 * defconfig for two patches — the seed fix (a Kconfig change: every configuration resolved on
 * both trees) and a comment in drivers/xen/grant-table.c (a source change: one resolution and
 * the object lookup each) — and then runs the loop a build bot would need for the Kconfig
 * question: `make <name>_defconfig` on the tree before and after the patch, for every defconfig,
 * one make at a time, under the team's heavy-work lock. Tree preparation (worktrees) is done
 * first and not timed. Target: all defconfigs classified in under 10 s.
 */
import { join } from "node:path";
import { kernelTreeRecord } from "../test/_tree.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";
import { withFileLock } from "../lib/tree/cache_lock.ts";
import { analyzeImpact } from "../lib/impact/patch_impact.ts";

const ROOT = join(import.meta.dirname!, "..");
const MAKE_ARGS = ["ARCH=arm", "CROSS_COMPILE=arm-linux-gnueabi-"];

async function make(src: string, out: string, target: string): Promise<number> {
  const t = performance.now();
  const r = await new Deno.Command("make", {
    args: ["-s", "-C", src, ...MAKE_ARGS, `O=${out}`, target],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) {
    throw new Error(`Cannot run 'make ${target}': ${new TextDecoder().decode(r.stderr)}`);
  }
  return (performance.now() - t) / 1000;
}

const quiet = { onProgress: () => {} };
await kernelTreeRecord();
// Warm: trees and worktrees exist afterwards; the timed runs below only classify.
const fixArgs = {
  configs: join(ROOT, "matrix.yaml"),
  on: ["2012"],
  ...quiet,
};
const fixPatch = join(ROOT, "cross/patches/xen-fix-not-cpu-v6.patch");
const grantPatch = join(ROOT, "test/fixtures/intake/grant-table-comment.patch");
await analyzeImpact(fixPatch, fixArgs);
await analyzeImpact(grantPatch, quiet);

const fix = await analyzeImpact(fixPatch, fixArgs);
const grant = await analyzeImpact(grantPatch, quiet);
const names = fix.configs.filter((c) => c.base === c.id).map((c) => c.id);

const outs = [0, 1].map((i) => join(cacheDir(), `impact-bench-O${i}`));
let makeLoop = 0;
await withFileLock(join(cacheDir(), "impact-bench.lock"), async () => {
  for (const [i, src] of [fix.before, fix.after].entries()) {
    await Deno.mkdir(outs[i]!, { recursive: true });
    await make(src, outs[i]!, "allnoconfig"); // builds conf once, outside the timing
  }
  for (const n of names) {
    makeLoop += await make(fix.before, outs[0]!, n);
    makeLoop += await make(fix.after, outs[1]!, n);
  }
}, { onWait: (line) => console.error(line) });
for (const o of outs) await Deno.remove(o, { recursive: true }).catch(() => {});

const f = (x: number) => `${x.toFixed(2)} s`.padStart(9);
const affected = (i: typeof fix) => i.configs.filter((c) => c.affected).length;
console.log(`                                         impact   make loop   ratio`);
console.log(
  `seed fix, ${fix.configs.length} configs (Kconfig)     ${f(fix.timing.classify_s)}  ${
    f(makeLoop)
  }   1/${(makeLoop / fix.timing.classify_s).toFixed(0)}   (${
    affected(fix)
  } affected; target < 10 s)`,
);
console.log(
  `grant-table.c, ${grant.configs.length} defconfigs (source) ${f(grant.timing.classify_s)}` +
    `             (${affected(grant)} affected; target < 10 s)`,
);
console.log(
  `  (make loop: ${names.length} x make <name>_defconfig on the tree before and after, one at a time)`,
);
