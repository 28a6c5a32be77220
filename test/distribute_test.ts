/**
 * Distribution: the default matrix cut into 3 shards by `plan` (predictions only, no build);
 * then real builds — an unsharded run and the same records in 3 shards (`runMatrix` with
 * `shard`, as `matrix --shard I/3` runs them) — merged and reported as the unsharded run is.
 * `merge` refuses a missing or repeated shard, a record in two shards, and shards of another
 * matrix, tree or toolchain, one line each, exit 2.
 *
 * The builds compile one object each (drivers/xen/grant-table.o) of 2 cells × 2 variants, the
 * fewest that give 3 dedup groups (2012 and fix share the v7 build).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { sharedCache } from "./_cache.ts";
import { runCli } from "./_cli.ts";
import { loadMatrix, selectCells, selectVariants } from "../lib/matrix/load_matrix.ts";
import { planRun, runMatrix } from "../lib/run/run_matrix.ts";
import {
  autoShardCount,
  ghaMatrix,
  type ShardPlan,
  shardPlan,
} from "../lib/distribute/shard_plan.ts";
import { mergeResults } from "../lib/distribute/merge_results.ts";
import { formatSummary } from "../lib/report/summary.ts";
import { compareResults, formatComparison } from "../lib/compare/compare_results.ts";
import { formatAnnotations } from "../lib/report/annotations.ts";
import { parseLog } from "../lib/diagnose/parse_log.ts";
import { readResults } from "../lib/results/results_file.ts";
import type { PlannedRecord } from "../lib/run/run_matrix.ts";
import type { Results } from "../lib/results/model.ts";

const ROOT = join(import.meta.dirname!, "..");

Deno.test({
  name: "plan: the default matrix in 3 shards, predictions only: every record once, groups whole",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const out = await Deno.makeTempFile({ suffix: ".json" });
    const run = await runCli(["plan", "--shards", "3", "--format", "json", "--out", out]);
    assertEquals(run.code, 0, run.err);
    const plan: ShardPlan = JSON.parse(await Deno.readTextFile(out));
    const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
    const all = matrix.variants.flatMap((v) => matrix.cells.map((c) => `${v.name} ${c.id}`));
    const planned = plan.shards.flatMap((s) => s.records.map((r) => `${r.variant} ${r.cell}`));
    assertEquals(plan.shards.map((s) => `${s.index}/${s.count}`), ["1/3", "2/3", "3/3"]);
    assertEquals([...planned].sort(), [...all].sort(), "every record in exactly one shard");
    assertEquals(plan.totals.records, all.length);
    for (const s of plan.shards) {
      assert.ok(s.records.length > 0, `shard ${s.index} is not empty`);
      for (const r of s.records) {
        assert.ok(r.predicted, `${r.variant} ${r.cell} has its prediction`);
        const elsewhere = plan.shards.filter((o) => o !== s)
          .some((o) => o.records.some((x) => x.group === r.group));
        assert.ok(!elsewhere, `group ${r.group} is in one shard only`);
      }
    }
    // The founding case, predicted: 2012 fails v6+v7/xen-on, fix does not.
    const predicted = (v: string, c: string) =>
      plan.shards.flatMap((s) => s.records).find((r) => r.variant === v && r.cell === c)
        ?.predicted?.status;
    assertEquals(predicted("2012", "arm/gcc-12/v6+v7/xen-on"), "fail");
    assertEquals(predicted("fix", "arm/gcc-12/v6+v7/xen-on"), "pass");
    // Dedup on the compiler's input: the fix's v6+v7 with XEN=y asked resolves the values of the
    // control without Xen (only a `# CONFIG_XEN is not set` line differs), so one build serves
    // both cells. Per cell: v7 1, v6k+v7 1, v6+v7 2 (Xen or not, both cells), v6 2 (2012 or not).
    const group = (v: string, c: string) =>
      plan.shards.flatMap((s) => s.records).find((r) => r.variant === v && r.cell === c)?.group;
    assertEquals(
      group("fix", "arm/gcc-12/v6+v7/xen-on"),
      group("2012", "arm/gcc-12/v6+v7/xen-off"),
    );
    assert.notEqual(
      group("2012", "arm/gcc-12/v6+v7/xen-on"),
      group("fix", "arm/gcc-12/v6+v7/xen-on"),
    );
    assertEquals(plan.totals.groups, 6);
    // The GitHub matrix of the same plan.
    assertEquals(
      ghaMatrix(plan).include.map((i) => [i.shard, i.plan, i.records]),
      plan.shards.map((s) => [`${s.index}/3`, plan.id, s.records.length]),
    );
    assert.match(
      run.err,
      new RegExp(`plan ${plan.id}: ${all.length} records, \\d+ builds, 3 shards`),
    );
    await Deno.remove(out);
  },
});

Deno.test("plan: auto makes shards of about 30 min, one per group at most, at most 256", () => {
  const records = (groups: number, seconds: number) =>
    Array.from(
      { length: groups },
      (_, i) => ({ group: `g${i}`, expectedS: seconds }),
    ) as unknown as PlannedRecord[];
  assertEquals(autoShardCount(records(1, 60)), 1);
  assertEquals(autoShardCount(records(4, 1800)), 4);
  assertEquals(autoShardCount(records(10, 600)), 4); // 100 min → 4 shards of 25 min
  assertEquals(autoShardCount(records(3, 7200)), 3); // never more shards than groups
  assertEquals(autoShardCount(records(2000, 1800)), 256); // GitHub's limit
});

/** What a report shows of results, without colour, and the comparisons as `matrix` prints them. */
function report(results: Results): string {
  return [
    formatSummary(results, { color: false }),
    ...results.comparisons.map((c) => `${c.head} vs ${c.base}\n${formatComparison(c)}`),
  ].join("\n\n");
}

Deno.test({
  name: "merge: 3 shards of real builds merge into the unsharded run's report",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await kernelTreeRecord();
    // A cache of its own (its own run lock, result cache and durations), sharing trees,
    // variant worktrees and ccache with the test cache.
    const cache = await sharedCache();
    const before = Deno.env.get("KMATRIX_CACHE")!;
    Deno.env.set("KMATRIX_CACHE", cache);
    const tmp = await Deno.makeTempDir({ prefix: "kmatrix-shards-" });
    try {
      const matrix = await loadMatrix(join(ROOT, "matrix.yaml"));
      matrix.targets = ["drivers/xen/grant-table.o"];
      const cells = selectCells(matrix.cells, "arm/*/v7/xen-on,arm/*/v6+v7/xen-on");
      const variants = selectVariants(matrix.variants, "2012,fix");
      const options = { cells, variants };

      // Real builds: nothing from the result cache.
      const built = await runMatrix(matrix, {
        ...options,
        outDir: join(tmp, "built"),
        cache: false,
      });
      assert.ok(
        built.results.some((r) =>
          !r.cached && !r.shared && r.steps.some((s) => s.name === "build")
        ),
        "a real build ran",
      );
      // The unsharded run and the shards, both from the result cache the builds filled.
      const whole = await runMatrix(matrix, { ...options, outDir: join(tmp, "whole") });
      const dirs = [1, 2, 3].map((i) => join(tmp, `shard-${i}`));
      const shards: Results[] = [];
      for (const [i, dir] of dirs.entries()) {
        shards.push(
          await runMatrix(matrix, { ...options, outDir: dir, shard: { index: i + 1, count: 3 } }),
        );
      }
      // The plan says what each shard ran, and its id is the one each shard stamped.
      const plan = shardPlan(await planRun(matrix, options), matrix.file, { shards: 3 });
      for (const [i, s] of shards.entries()) {
        assertEquals(s.shard, { index: i + 1, count: 3, plan: plan.id });
        assertEquals(
          s.results.map((r) => `${r.variant} ${r.cell}`),
          plan.shards[i]!.records.map((r) => `${r.variant} ${r.cell}`),
        );
        assert.ok(s.results.length > 0, `shard ${i + 1} ran something`);
      }

      await t.step("merged report equals the unsharded one", async () => {
        const out = join(tmp, "merged");
        const merged = await mergeResults(dirs, {
          outDir: out,
          plan,
          cellOrder: matrix.cells.map((c) => c.id),
        });
        assertEquals(report(merged), report(whole));
        assertEquals(merged.predictions, whole.predictions);
        assertEquals(merged.comparisons, whole.comparisons);
        assertEquals(merged.shard, undefined);
        // Self-contained: re-read from disk, every artifact is under the merged directory.
        const again = await readResults(join(out, "results.json"));
        assertEquals(report(again), report(whole));
        for (const r of again.results) {
          for (const p of [r.log, r.config, r.prediction?.config].filter((p) => p)) {
            assert.ok(p!.startsWith(out) && existsSync(p!), `${p} is under ${out}`);
          }
        }
        // The CLI prints the same report.
        const cli = await runCli(["merge", ...dirs, "--out", join(tmp, "merged-cli")]);
        assert.ok(cli.code === 0 || cli.code === 1, cli.err);
        assert.ok(cli.out.includes(formatSummary(whole, { color: false })), cli.out);
      });

      await t.step(
        "annotations: a regression and a prediction miss point at the variant",
        async () => {
          // The real records, with fix's v6+v7 record given the seed's real link failure
          // (test/fixtures/logs/seed_link.log) over 2012's pass: fix regresses there.
          const text = await Deno.readTextFile(matrix.file);
          const line = text.split("\n").findIndex((l) => /^\s*- name: "?fix"?\s*$/.test(l)) + 1;
          const seed = parseLog(
            await Deno.readTextFile(join(ROOT, "test/fixtures/logs/seed_link.log")),
          );
          const broken = structuredClone(whole);
          for (const r of broken.results) {
            delete r.prediction;
            if (r.cell !== "arm/gcc-12/v6+v7/xen-on") continue;
            r.status = r.variant === "fix" ? "fail" : "pass";
            r.diagnostics = r.variant === "fix" ? seed : [];
          }
          broken.comparisons = [{
            base: "2012",
            head: "fix",
            ...compareResults(broken, broken, { baseVariant: "2012", headVariant: "fix" }),
          }];
          const lines = formatAnnotations(broken, { file: "matrix.yaml", matrixText: text });
          assertEquals(lines.length, 1, lines.join("\n"));
          assert.match(
            lines[0]!,
            new RegExp(
              `^::error file=matrix\\.yaml,line=${line},title=regression%3A fix vs 2012::fix breaks arm/gcc-12/v6\\+v7/xen-on \\(pass -> fail\\): ld:undefined:__bad_cmpxchg@drivers/xen/grant-table\\.o, ld:undefined:__bad_xchg@`,
            ),
          );
          const missed = structuredClone(whole);
          missed.comparisons = [];
          for (const r of missed.results) {
            if (r.prediction) r.prediction.verdict = "confirmed";
          }
          const r = missed.results.find((x) => x.prediction)!;
          r.prediction!.verdict = "missed";
          r.prediction!.differences = ["status: predicted pass, built fail"];
          const miss = formatAnnotations(missed, { file: "matrix.yaml", matrixText: text });
          assertEquals(miss.length, 1, miss.join("\n"));
          assert.match(
            miss[0]!,
            new RegExp(
              `^::error file=matrix\\.yaml,line=\\d+,title=prediction missed%3A ${r.variant} .*::predicted \\w+, built \\w+: status: predicted pass, built fail$`,
            ),
          );
        },
      );

      const refused = async (dirsGiven: string[], re: RegExp) => {
        const r = await runCli(["merge", ...dirsGiven, "--out", join(tmp, "refused")]);
        assertEquals(r.code, 2, r.out + r.err);
        assertEquals(r.err.trim().split("\n").length, 1, r.err);
        assert.match(r.err, re);
      };
      /** A copy of a shard directory with its results.json changed by `edit`. */
      const altered = async (from: string, name: string, edit: (r: Results) => void) => {
        const dir = join(tmp, name);
        await Deno.mkdir(dir);
        const results = JSON.parse(await Deno.readTextFile(join(from, "results.json")));
        edit(results);
        await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify(results));
        return dir;
      };

      await t.step("a missing shard is refused", async () => {
        await refused(
          [dirs[0]!, dirs[1]!],
          /^Cannot merge plan '\w+': shard 3\/3 missing \(2 of 3 given\)$/m,
        );
      });
      await t.step("a doubled shard is refused", async () => {
        await refused(
          [...dirs, dirs[0]!],
          /^Cannot merge shard '.*shard-1': it is shard 1\/3 again \('.*shard-1' is too\)$/m,
        );
      });
      await t.step("a record in two shards is refused", async () => {
        const first = shards[0]!.results[0]!;
        const doubled = await altered(dirs[2]!, "doubled", (r) => {
          r.results.push(JSON.parse(JSON.stringify(first)));
        });
        await refused(
          [dirs[0]!, dirs[1]!, doubled],
          new RegExp(
            `^Cannot merge shard '.*doubled': record ${first.variant} ${
              first.cell.replaceAll("+", "\\+")
            } is in shard '.*shard-1' too$`,
            "m",
          ),
        );
      });
      await t.step("shards of another matrix, tree or toolchain are refused", async () => {
        const cases: [string, (r: Results) => void, RegExp][] = [
          [
            "matrix",
            (r) => r.provenance!.matrix.sha256 = "0".repeat(64),
            /another matrix file\)$/m,
          ],
          [
            "tree",
            (r) => r.provenance!.tree.commit = "0".repeat(40),
            /ran tree commit .*\(another tree\)$/m,
          ],
          [
            "toolchain",
            (r) =>
              r.provenance!.toolchains[0]!.cc = "arm-linux-gnueabi-gcc (Debian 13.2.0-1) 13.2.0",
            /ran toolchains .*\(another toolchain\)$/m,
          ],
        ];
        for (const [name, edit, re] of cases) {
          const other = await altered(dirs[1]!, `other-${name}`, edit);
          await refused([dirs[0]!, other, dirs[2]!], re);
        }
      });
    } finally {
      Deno.env.set("KMATRIX_CACHE", before);
      await Deno.remove(tmp, { recursive: true });
      await Deno.remove(cache, { recursive: true });
    }
  },
});
