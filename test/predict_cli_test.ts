/**
 * `kmatrix predict`: every selected cell × variant predicted without building, written as
 * predictions.json records whose `prediction` has results.json's shape (checked with the
 * results model's own fields), the predicted `.config` at the path a run uses. The failing
 * record's signatures are the real seed log's (test/fixtures/logs/seed_link.log, a real build
 * of that cell).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "./_cli.ts";
import { parseLog } from "../lib/diagnose/parse_log.ts";
import type { Predictions } from "../lib/predict/cli.ts";
import { kernelTree } from "./_tree.ts";

await kernelTree();

Deno.test("predict: v6+v7 of 2012 and fix, no build, results.json-shaped predictions", async () => {
  const out = await Deno.makeTempDir({ prefix: "kmatrix-predict-cli-" });
  try {
    const t0 = performance.now();
    const r = await runCli([
      "predict",
      "matrix.yaml",
      "--out",
      out,
      "--cells",
      "arm/*/v6+v7/xen-on",
      "--variants",
      "2012,fix",
    ]);
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.code, 0, r.err);
    assert.ok(seconds < 120, `${seconds} s`);
    const file: Predictions = JSON.parse(await Deno.readTextFile(join(out, "predictions.json")));
    assert.deepEqual(file.records.map((x) => `${x.variant} ${x.cell}`), [
      "2012 arm/gcc-12/v6+v7/xen-on",
      "fix arm/gcc-12/v6+v7/xen-on",
    ]);
    const seed = parseLog(
      await Deno.readTextFile(new URL("./fixtures/logs/seed_link.log", import.meta.url)),
    ).filter((d) => d.severity === "error" && d.kind !== "make").map((d) => d.signature).sort();
    const [y2012, fix] = file.records.map((x) => x.prediction);
    assert.equal(y2012!.status, "fail");
    assert.deepEqual(y2012!.signatures, seed);
    assert.equal(y2012!.verdict, "unjudged");
    assert.equal(fix!.status, "pass");
    assert.deepEqual(fix!.dropped.map((d) => d.line), ["CONFIG_XEN=y"]);
    for (const p of [y2012!, fix!]) {
      assert.ok(existsSync(p.config) && p.config.startsWith(out), p.config);
      assert.match(await Deno.readTextFile(p.config), /^CONFIG_CPU_V6=y$/m);
      assert.ok(p.objects && p.objects.builtin > 300);
    }
    assert.match(r.out, /^2012\tarm\/gcc-12\/v6\+v7\/xen-on\tfail \(ld:undefined:__bad_cmpxchg@/m);
    // Nothing was built: no O= directory, no log in the output.
    assert.deepEqual(
      [...Deno.readDirSync(join(out, "2012", "arm_gcc-12_v6+v7_xen-on"))].map((e) => e.name),
      [
        "predicted.config",
      ],
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
