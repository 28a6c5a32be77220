/**
 * The Debian source of a `debian:` tree: found where the package puts it, or — when it cannot
 * be installed here (a directory other than /usr/src, or not root) — refused with the one-line
 * instruction. The apt-get path itself was run for real on this machine for linux-source-6.12
 * (see the README); a test does not uninstall system packages other sessions use.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureDebianSource } from "../lib/tree/debian_package.ts";

Deno.test("an installed package's tarball is found where it is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-debsrc-" });
  try {
    await Deno.writeTextFile(join(dir, "linux-source-9.9.tar.xz"), "");
    assert.equal(
      await ensureDebianSource("linux-source-9.9", { dir }),
      join(dir, "linux-source-9.9.tar.xz"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing package that cannot be installed here: one line saying what to run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-debsrc-" });
  try {
    await assert.rejects(
      ensureDebianSource("linux-source-9.9", { dir }),
      new Error(
        `Cannot find kernel source 'debian:linux-source-9.9': ${dir}/linux-source-9.9.tar.xz is missing; run 'apt-get install linux-source-9.9'`,
      ),
    );
    // Not a package name: never handed to apt-get, even where installing is allowed.
    await assert.rejects(
      ensureDebianSource("x; rm -rf /", { dir, install: true }),
      /^Error: Cannot find kernel source 'debian:x; rm -rf \/'/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
