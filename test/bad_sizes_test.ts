/**
 * The derivation of lib/predict/bad_sizes.ts on the real headers of Linux 6.1 and 6.12 (arm),
 * under the real `.config` that `make ARCH=arm allnoconfig` writes with the default matrix's
 * v7 and v6+v7 fragments. The expectations are read from the trees' own text:
 * - 6.1 arch/arm/include/asm/cmpxchg.h: `case 1:`/`case 2:` of __xchg() and __cmpxchg() sit
 *   under `#ifndef CONFIG_CPU_V6`, `case 4:` is always there, anything else goes to `default:`
 *   (`__bad_xchg`, `__bad_cmpxchg`); __cmpxchg_local() sends 1 and 2 bytes to
 *   __generic_cmpxchg_local() under `#ifdef CONFIG_CPU_V6`;
 * - 6.12: __cmpxchg()'s `case 1:` under `#ifdef CONFIG_CPU_V6` calls cmpxchg_emu_u8(), its
 *   `case 2:` is in the `#else`; __arch_xchg() is 6.1's __xchg(); include/linux/atomic/
 *   atomic-instrumented.h gained sync_try_cmpxchg() (raw_sync_try_cmpxchg → raw_sync_cmpxchg →
 *   arch_sync_cmpxchg in asm/sync_bitops.h → arch_cmpxchg_relaxed).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type BadSizes, deriveBadSizes } from "../lib/predict/bad_sizes.ts";
import { debianTreeRecord, kernelTree } from "./_tree.ts";

const BASE = ["CONFIG_MMU=y", "CONFIG_AEABI=y", "CONFIG_OF=y"];
const V7 = [...BASE, "CONFIG_ARCH_MULTI_V7=y", "CONFIG_ARCH_VIRT=y"];
const V6V7 = [...V7, "CONFIG_ARCH_MULTI_V6=y", "CONFIG_ARCH_OMAP2=y"];

/** The real `.config` of `make allnoconfig` with a fragment, as a value lookup. */
async function realConfig(src: string, fragment: string[]): Promise<(n: string) => string> {
  const tmp = await Deno.makeTempDir({ prefix: "kmatrix-bad-sizes-" });
  try {
    await Deno.writeTextFile(join(tmp, "fragment"), fragment.map((l) => `${l}\n`).join(""));
    const r = await new Deno.Command("make", {
      args: [
        "-s",
        "-C",
        src,
        `O=${tmp}/o`,
        "ARCH=arm",
        "CROSS_COMPILE=arm-linux-gnueabi-",
        "allnoconfig",
      ],
      env: { KCONFIG_ALLCONFIG: join(tmp, "fragment"), LC_ALL: "C" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const values = new Map<string, string>();
    for (const line of (await Deno.readTextFile(join(tmp, "o/.config"))).split("\n")) {
      const m = line.match(/^CONFIG_(\w+)=(.*)$/);
      if (m) values.set(m[1]!, m[2]!.replace(/^"(.*)"$/, "$1"));
    }
    return (n) => values.get(n) ?? "n";
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function derive(src: string, fragment: string[]) {
  const value = await realConfig(src, fragment);
  return {
    value,
    bad: deriveBadSizes(src, { srcarch: "arm", value, symbols: ["__bad_cmpxchg", "__bad_xchg"] }),
  };
}

function sizes(bad: BadSizes, name: string, symbol: string): number[] {
  return (bad.byName.get(name) ?? []).filter((p) => p.symbol === symbol).map((p) => p.size);
}

const tree61 = await kernelTree();
const tree612 = (await debianTreeRecord("linux-source-6.12")).dir;

Deno.test("6.1 v6+v7: every cmpxchg and xchg flavour fails on 1, 2 and 8 bytes, not on 4", async () => {
  const { value, bad } = await derive(tree61, V6V7);
  assert.equal(value("CPU_V6"), "y");
  assert.deepEqual(bad.defines["__LINUX_ARM_ARCH__"], "6");
  assert.deepEqual(bad.condition, ["CPU_V6"]);
  for (
    const n of ["cmpxchg", "cmpxchg_relaxed", "cmpxchg_acquire", "try_cmpxchg", "sync_cmpxchg"]
  ) {
    assert.deepEqual(sizes(bad, n, "__bad_cmpxchg"), [1, 2, 8], n);
  }
  for (const n of ["xchg", "xchg_relaxed", "xchg_acquire", "xchg_release"]) {
    assert.deepEqual(sizes(bad, n, "__bad_xchg"), [1, 2, 8], n);
  }
  // cmpxchg_local: 1 and 2 bytes take __generic_cmpxchg_local; 8 still ends in __cmpxchg.
  assert.deepEqual(sizes(bad, "cmpxchg_local", "__bad_cmpxchg"), [8]);
  assert.deepEqual(bad.byName.get("cmpxchg_local")![0]!.via, ["__cmpxchg_local", "__cmpxchg"]);
  // sync_try_cmpxchg does not exist in 6.1; atomic_t operations are not operand-sized.
  assert.equal(bad.byName.has("sync_try_cmpxchg"), false);
  assert.equal(bad.byName.has("atomic_cmpxchg"), false);
  const at = bad.byName.get("sync_cmpxchg")!.find((p) => p.size === 2)!.at;
  assert.match(at, /^arch\/arm\/include\/asm\/cmpxchg\.h:\d+$/);
  const line = Deno.readTextFileSync(join(tree61, at.split(":")[0]!)).split("\n")[
    Number(at.split(":")[1]) - 1
  ];
  assert.match(line!, /__bad_cmpxchg\(ptr, size\)/);
});

Deno.test("6.1 v7: only 8-byte operands fail; CPU_V6=n keeps the 1- and 2-byte cases", async () => {
  const { value, bad } = await derive(tree61, V7);
  assert.equal(value("CPU_V6"), "n");
  assert.deepEqual(bad.defines["__LINUX_ARM_ARCH__"], "7");
  assert.deepEqual(bad.condition, ["CPU_V6"]);
  for (const n of ["cmpxchg", "sync_cmpxchg", "try_cmpxchg", "xchg", "xchg_acquire"]) {
    assert.deepEqual(bad.byName.get(n)!.map((p) => p.size), [8], n);
  }
});

Deno.test("6.12 v6+v7: 1-byte cmpxchg is emulated, 2-byte is not; sync_try_cmpxchg found", async () => {
  const { bad } = await derive(tree612, V6V7);
  assert.deepEqual(bad.defines["__LINUX_ARM_ARCH__"], "6");
  assert.deepEqual(bad.condition, ["CPU_V6"]);
  assert.ok(bad.files.includes("include/linux/cmpxchg-emu.h"), bad.files.join(" "));
  for (const n of ["cmpxchg", "try_cmpxchg", "sync_cmpxchg", "sync_try_cmpxchg"]) {
    assert.deepEqual(sizes(bad, n, "__bad_cmpxchg"), [2, 8], n);
  }
  for (const n of ["xchg", "xchg_acquire", "raw_xchg_relaxed"]) {
    assert.deepEqual(sizes(bad, n, "__bad_xchg"), [1, 2, 8], n);
  }
  assert.deepEqual(bad.byName.get("xchg")![0]!.via, ["__arch_xchg"]);
});

Deno.test("6.12 v7: only 8-byte operands fail", async () => {
  const { bad } = await derive(tree612, V7);
  assert.deepEqual(bad.defines["__LINUX_ARM_ARCH__"], "7");
  for (const n of ["cmpxchg", "sync_try_cmpxchg", "xchg", "xchg_acquire"]) {
    assert.deepEqual(bad.byName.get(n)!.map((p) => p.size), [8], n);
  }
});
