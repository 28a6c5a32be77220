/**
 * The patch stage on the real 6.1 tree: variants get their own worktree, the pristine tree is
 * never touched, and a patch that does not apply is a one-line error naming file and hunk.
 */
import { join } from "node:path";
import { $ } from "zx";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";

const PATCHES = join(import.meta.dirname!, "..", "cross", "patches");

Deno.test("patch: a variant is a committed worktree; the pristine tree stays clean", async () => {
  const tree = await kernelTreeRecord();
  const patch = join(PATCHES, "xen-2012-state.patch");
  const a = await prepareVariant(tree, { name: "2012", patches: [patch] });
  const again = await prepareVariant(tree, { name: "2012", patches: [patch] });
  assertEquals(again, a, "the same patches reuse the same worktree");
  const kconfig = await Deno.readTextFile(join(a.src, "arch/arm/Kconfig"));
  assert.doesNotMatch(kconfig, /depends on CPU_V7 && !CPU_V6/);
  const base = await Deno.readTextFile(join(tree.dir, "arch/arm/Kconfig"));
  assert.match(base, /depends on CPU_V7 && !CPU_V6/);
  assertEquals((await $({ quiet: true })`git -C ${tree.dir} status --porcelain`).stdout, "");
  assertEquals((await $({ quiet: true })`git -C ${a.src} status --porcelain`).stdout, "");
  assertEquals(
    (await $({ quiet: true })`git -C ${a.src} log -1 --format=%s`).stdout.trim(),
    "ARM: xen: restore the 2012 dependencies of XEN",
  );
  const none = await prepareVariant(tree, { name: "pristine", patches: [] });
  assertEquals(none.commit, tree.commit);
});

Deno.test("patch: a patch that does not apply names the patch, the file and the hunk", async () => {
  const tree = await kernelTreeRecord();
  // The fix was written on top of the 2012 state; on the pristine tree its context is wrong.
  const patch = join(PATCHES, "xen-fix-not-cpu-v6.patch");
  let message = "";
  try {
    await prepareVariant(tree, { name: "alone", patches: [patch] }, {
      displayBase: join(PATCHES, "..", ".."),
    });
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(
    message,
    "Cannot apply patch 'cross/patches/xen-fix-not-cpu-v6.patch' to variant 'alone': arch/arm/Kconfig:1433: patch does not apply; rebase the patch onto this tree",
  );
  assertEquals((await $({ quiet: true })`git -C ${tree.dir} status --porcelain`).stdout, "");
  const worktrees = (await $({ quiet: true })`git -C ${tree.dir} worktree list`).stdout;
  assert.doesNotMatch(worktrees, /prunable/, "the failed worktree is removed");
});
