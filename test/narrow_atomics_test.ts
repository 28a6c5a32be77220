/**
 * The narrow-atomic finder (lib/predict/narrow_atomics.ts) on member operands: a member is
 * looked up in the struct its base's declared type names, not by its name alone.
 * - kernel/locking/qspinlock.c:183 (6.1, x86, where qspinlock is used): `xchg_relaxed(
 *   &lock->tail, …)` in `xchg_tail(struct qspinlock *lock, u32 tail)`; the struct's `u16 tail`
 *   (include/asm-generic/qspinlock_types.h) is the operand, the `u32 tail` parameters beside it
 *   are not (the name-only lookup found the parameter and missed the call);
 * - drivers/gpu/drm/i915/intel_uncore.c `xchg(&domain->active, false)`: `active` of struct
 *   intel_uncore_forcewake_domain (intel_uncore.h), not the first `bool active` of another
 *   struct (i915_virtual_gpu in i915_drv.h), which the name-only lookup took;
 * - a same-named field of another struct is not a hit: a two-struct source written for this
 *   test (a `u8 flags` in one struct, `unsigned long flags` in the one the operand points to),
 *   beside its control (the operand pointing to the `u8` one).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { scanNarrowAtomics } from "../lib/predict/narrow_atomics.ts";
import { kernelTree } from "./_tree.ts";

const src = await kernelTree();
const yes = () => "y";

Deno.test("qspinlock.c:183: the struct's u16 tail, not the u32 tail parameters", () => {
  const hits = scanNarrowAtomics(src, "kernel/locking/qspinlock.c", {
    calls: ["xchg_relaxed"],
    value: yes,
    srcarch: "x86",
  });
  const at183 = hits.filter((h) => h.line === 183);
  assert.equal(at183.length, 1, JSON.stringify(hits));
  assert.equal(at183[0]!.operand, "&lock->tail");
  assert.equal(at183[0]!.size, 2);
  assert.equal(at183[0]!.type, "u16");
  const [file, line] = at183[0]!.declaredAt.split(":");
  assert.equal(file, "include/asm-generic/qspinlock_types.h");
  assert.match(
    Deno.readTextFileSync(join(src, file!)).split("\n")[Number(line) - 1]!,
    /u16\s+tail;/,
  );
  const text = Deno.readTextFileSync(join(src, "kernel/locking/qspinlock.c")).split("\n");
  assert.match(text[176]!, /xchg_tail\(struct qspinlock \*lock, u32 tail\)/);
});

Deno.test("intel_uncore.c: domain->active is read in its own struct, not in another", () => {
  const hits = scanNarrowAtomics(src, "drivers/gpu/drm/i915/intel_uncore.c", {
    calls: ["xchg"],
    value: yes,
    srcarch: "arm",
  });
  const h = hits.find((h) => h.operand === "&domain->active");
  assert.ok(h, JSON.stringify(hits));
  const [file, line] = h.declaredAt.split(":");
  assert.equal(file, "drivers/gpu/drm/i915/intel_uncore.h");
  const lines = Deno.readTextFileSync(join(src, file!)).split("\n");
  assert.match(lines[Number(line) - 1]!, /bool\s+active;/);
  // The enclosing struct of that line is intel_uncore_forcewake_domain.
  const opener = lines.slice(0, Number(line)).findLast((l) => /struct \w+ \{/.test(l));
  assert.match(opener!, /struct intel_uncore_forcewake_domain \{/);
});

Deno.test("a same-named u8 field of another struct is not a hit; the right struct's is", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "kmatrix-narrow-" });
  try {
    await Deno.writeTextFile(
      join(tmp, "two.c"),
      `struct narrow { u8 flags; };
struct wide { unsigned long flags; };
int f(struct wide *w, struct narrow *n)
{
	return xchg(&w->flags, 0) + xchg(&n->flags, 1);
}
`,
    );
    const hits = scanNarrowAtomics(tmp, "two.c", { calls: ["xchg"], value: yes, srcarch: "arm" });
    assert.deepEqual(hits.map((h) => [h.operand, h.size, h.declaredAt]), [[
      "&n->flags",
      1,
      "two.c:1",
    ]]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
