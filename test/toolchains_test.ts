/**
 * Two toolchains of the same story (issue 7): the failing cell built with GCC 12 and with
 * clang 14 (LLVM=-14), each predicted with its own profile — Kconfig answers differ between
 * them (CC_IS_CLANG, CLANG_VERSION, the probes) — and each confirmed by its real build, with
 * the exact compiler version recorded.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { runMatrix } from "../lib/run/run_matrix.ts";

Deno.test({
  name: "toolchains: gcc-12 and clang-14 builds of the v6+v7 cell, both predicted and confirmed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await kernelTreeRecord();
    const matrix = await loadMatrix(join(import.meta.dirname!, "..", "examples/toolchains.yaml"));
    const out = await Deno.makeTempDir({ prefix: "kmatrix-toolchains-" });
    const results = await runMatrix(matrix, {
      outDir: out,
      onEvent: (e) => e.kind === "done" && console.error(`${e.result.cell}: ${e.result.status}`),
    });
    const by = Object.fromEntries(results.results.map((r) => [r.toolchain, r]));
    assertEquals(Object.keys(by).sort(), ["clang-14", "gcc-12"]);
    assert.match(by["gcc-12"]!.toolchain_version, /^arm-linux-gnueabi-gcc \(Debian 12\./);
    assert.match(by["clang-14"]!.toolchain_version, /^Debian clang version 14\./);
    for (const r of results.results) {
      assert.ok(r.prediction, r.cell);
      assertEquals(r.prediction.verdict, "confirmed", `${r.cell}: ${r.prediction.differences}`);
      assertEquals(r.status, r.prediction.status);
      assertEquals(r.status, "fail");
      assert.ok(r.diagnostics.some((d) => d.symbol === "__bad_cmpxchg"), r.log);
    }
    const config = (t: string) => Deno.readTextFileSync(by[t]!.config);
    assert.match(config("clang-14"), /^CONFIG_CC_IS_CLANG=y$/m);
    assert.match(config("clang-14"), /^CONFIG_CLANG_VERSION=14\d{4}$/m);
    assert.match(config("gcc-12"), /^CONFIG_CC_IS_GCC=y$/m);
    // Each prediction used the profile of its own toolchain.
    assert.notEqual(
      by["gcc-12"]!.prediction!.profile?.path,
      by["clang-14"]!.prediction!.profile?.path,
    );
    await Deno.remove(out, { recursive: true });
  },
});
