import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { ensureTree } from "../lib/tree/kernel_tree.ts";

Deno.test("tree: the Debian tarball becomes one reproducible commit, extracted once", async () => {
  const tree = await kernelTreeRecord();
  // The reference: the installed package's upstream version (dpkg's "6.1.192-1" is 6.1.192).
  const dpkg = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f", "${Version}", "linux-source-6.1"],
  }).output();
  assertEquals(tree.version, new TextDecoder().decode(dpkg.stdout).split(/[-~+]/)[0]);
  assert.match(tree.commit, /^[0-9a-f]{40}$/);
  const again = await ensureTree("debian:linux-source-6.1");
  assertEquals(again, tree);
  assert.ok((await Deno.stat(join(tree.dir, "arch/arm/Kconfig"))).isFile);
});

Deno.test("tree: a local kernel checkout is used as it is, HEAD as the base", async () => {
  const tree = await kernelTreeRecord();
  const local = await ensureTree(tree.dir);
  assertEquals(local.commit, tree.commit);
  assertEquals(local.dir, tree.dir);
});

Deno.test("tree: sources that are not kernel trees are refused with what to do", async () => {
  const dir = await Deno.makeTempDir();
  const message = async (source: string, options = {}) => {
    try {
      await ensureTree(source, options);
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };
  assertEquals(
    await message(dir),
    `Cannot use kernel tree '${dir}': no Makefile and Kconfig there; give a kernel checkout or debian:linux-source-6.1`,
  );
  await Deno.writeTextFile(join(dir, "Makefile"), "");
  await Deno.writeTextFile(join(dir, "Kconfig"), "");
  assertEquals(
    await message(dir),
    `Cannot use kernel tree '${dir}': not a git repository with a commit; run 'git init && git add -A && git commit' there`,
  );
  assertEquals(
    await message("debian:linux-source-9.9", { debianSrc: dir }),
    `Cannot find kernel source 'debian:linux-source-9.9': ${dir}/linux-source-9.9.tar.xz is missing; run 'apt-get install linux-source-9.9'`,
  );
  await Deno.remove(dir, { recursive: true });
});
