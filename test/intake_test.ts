/**
 * Patch intake on the founding case: the seed page (../shared/seed/), the same messages as an
 * mbox, and the scenario patches as format-patch files are read into subject, author, date,
 * tags (replies' Acked-by included, quoted tags not) and diff; each hunk of the seed patch is
 * then checked against the pristine Linux 6.1 tree, and the expected verdicts are read from that
 * tree (where `config XEN` and `config XEN_BALLOON` are, that no Kconfig defines XEN_TMEM,
 * where sys-hypervisor.c includes linux/err.h).
 */
import { join } from "node:path";
import { $ } from "zx";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { kernelTree } from "./_tree.ts";
import { checkHunks, diffText, formatPatch, parsePatch, readPatch } from "../lib/patch/intake.ts";

const ROOT = join(import.meta.dirname!, "..");
const SEED = join(import.meta.dirname!, "fixtures", "intake", "seed-page.txt");
const MBOX = join(import.meta.dirname!, "fixtures", "intake", "seed.mbox");
const PATCHES = join(ROOT, "cross", "patches");

/** 1-based line of the first line of `file` in `tree` matching `re`. */
function lineOf(tree: string, file: string, re: RegExp): number {
  const i = Deno.readTextFileSync(join(tree, file)).split("\n").findIndex((l) => re.test(l));
  assert.ok(i >= 0, `${file} has no line matching ${re}`);
  return i + 1;
}

Deno.test("intake: the seed page gives subject, author, date, tags with the reply's Acked-by", async () => {
  const p = await readPatch(SEED);
  assertEquals(p.format, "page");
  assertEquals(p.subject, "ARM: Xen: fix initial build problems");
  assertEquals(p.author, "Arnd Bergmann");
  assertEquals(p.email, "arnd@arndb.de");
  assertEquals(p.date, "2012-10-09T15:22:00.000Z");
  assertEquals(p.messageId, "1349796183-30648-6-git-send-email-arnd@arndb.de");
  assertMatch(p.message, /^\* The XEN_BALLOON code requires/);
  assert.doesNotMatch(p.message, /files changed/, "the diffstat is not part of the message");
  // Replies quote the Signed-off-by many times; only the unquoted one counts.
  assertEquals(p.tags.filter((t) => t.name === "Signed-off-by"), [
    { name: "Signed-off-by", value: "Arnd Bergmann <arnd@arndb.de>", from: "commit message" },
  ]);
  assertEquals(p.tags.filter((t) => t.name === "Acked-by"), [
    {
      name: "Acked-by",
      value: "Ian Campbell <ian.campbell@citrix.com>",
      from: "reply from Ian Campbell",
    },
  ]);
  assertEquals(p.tags.filter((t) => t.name === "Cc").length, 4);
  assertEquals(p.replies.length, 13);
  assertEquals(p.replies[0], { author: "Ian Campbell", date: "2012-10-09T15:35:00.000Z" });
  assertEquals(
    p.files.map((f) => [f.newPath, f.hunks.map((h) => h.oldStart)]),
    [["arch/arm/Kconfig", [1846]], ["drivers/xen/Kconfig", [3, 145]], [
      "drivers/xen/sys-hypervisor.c",
      [11],
    ]],
  );
});

Deno.test("intake: the mbox of the same messages gives the same patch and tags", async () => {
  const page = await readPatch(SEED);
  const mbox = await readPatch(MBOX);
  assertEquals(mbox.format, "mbox");
  assertEquals(mbox.subject, page.subject);
  assertEquals(mbox.author, page.author);
  assertEquals(mbox.email, page.email);
  assertEquals(mbox.date, "2012-10-09T15:22:59.000Z");
  assertEquals(mbox.message, page.message);
  assertEquals(diffText(mbox.files), diffText(page.files));
  assertEquals(mbox.tags, page.tags, "the Acked-by comes from Ian Campbell's reply");
  assertEquals(mbox.replies.map((r) => r.author), ["Ian Campbell", "Stefano Stabellini"]);
});

Deno.test("intake: a format-patch file, written back, is what git apply reads", async () => {
  const tree = await kernelTree();
  const p = await readPatch(join(PATCHES, "xen-2012-state.patch"));
  assertEquals(p.format, "format-patch");
  assertEquals(p.subject, "ARM: xen: restore the 2012 dependencies of XEN");
  assertEquals(p.tags, []);
  const again = parsePatch(formatPatch(p));
  assertEquals(again.subject, p.subject);
  assertEquals(diffText(again.files), diffText(p.files));
  const tmp = await Deno.makeTempFile({ suffix: ".patch" });
  try {
    await Deno.writeTextFile(tmp, formatPatch(p));
    const r = await $({ quiet: true, nothrow: true, cwd: tree })`git apply --check ${tmp}`;
    assertEquals(r.exitCode, 0, r.stderr);
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("intake: the seed page against 6.1 gets a verdict per hunk, with the reason", async () => {
  const tree = await kernelTree();
  const v = await checkHunks(await readPatch(SEED), tree);
  assertEquals(v.map((x) => [x.file, x.status]), [
    ["arch/arm/Kconfig", "conflict"],
    ["drivers/xen/Kconfig", "applies"],
    ["drivers/xen/Kconfig", "conflict"],
    ["drivers/xen/sys-hypervisor.c", "already-applied"],
  ]);
  const [xen, balloon, tmem, err] = v as [typeof v[0], typeof v[0], typeof v[0], typeof v[0]];

  // 1: config XEN moved (1846 in 2012) and its lines changed; 6.1 already has !CPU_V6.
  const xenLine = lineOf(tree, "arch/arm/Kconfig", /^config XEN$/);
  const depLine = lineOf(tree, "arch/arm/Kconfig", /^\tdepends on CPU_V7 && !CPU_V6$/);
  assertEquals(xen.line, xenLine);
  assert.ok(xen.reason.includes(`config XEN is now at arch/arm/Kconfig:${xenLine}`), xen.reason);
  assert.ok(xen.reason.includes("(the patch expects line 1846)"), xen.reason);
  assert.ok(
    xen.reason.includes(`already there as 'depends on CPU_V7 && !CPU_V6' (line ${depLine})`),
    xen.reason,
  );

  // 2: the XEN_BALLOON context is intact, one line lower (git apply's own offset).
  const balloonAt = lineOf(tree, "drivers/xen/Kconfig", /^config XEN_BALLOON$/) - 1;
  assertEquals(balloon.line, balloonAt);
  assertEquals(balloon.offset, balloonAt - 3);
  assertMatch(
    balloon.reason,
    new RegExp(`^context moved: applies at drivers/xen/Kconfig:${balloonAt}`),
  );

  // 3: XEN_TMEM is gone from the tree.
  const grep = await $({ quiet: true, nothrow: true, cwd: tree })`git grep -l ${"config XEN_TMEM"}`;
  assertEquals(grep.stdout, "", "6.1 defines no XEN_TMEM");
  assertEquals(
    tmem.reason,
    "config XEN_TMEM no longer exists: no Kconfig file of this tree defines it",
  );

  // 4: sys-hypervisor.c already includes linux/err.h (in other context lines).
  const errLine = lineOf(tree, "drivers/xen/sys-hypervisor.c", /^#include <linux\/err\.h>$/);
  assertEquals(err.line, errLine);
  assertEquals(
    err.reason,
    `already applied: '#include <linux/err.h>' already present at drivers/xen/sys-hypervisor.c:${errLine}`,
  );
});

Deno.test("intake: a hunk applied by git is already-applied on the patched tree", async () => {
  const tree = await kernelTree();
  const p = await readPatch(join(PATCHES, "xen-2012-state.patch"));
  const tmp = await Deno.makeTempDir({ prefix: "kmatrix-intake-test-" });
  try {
    // A copy of the two files the check reads, patched by git itself.
    await Deno.mkdir(join(tmp, "arch/arm"), { recursive: true });
    await Deno.copyFile(join(tree, "arch/arm/Kconfig"), join(tmp, "arch/arm/Kconfig"));
    await Deno.writeTextFile(join(tmp, "p.patch"), formatPatch(p));
    await $({ quiet: true, cwd: tmp })`git apply p.patch`;
    const v = await checkHunks(p, tmp);
    assertEquals(v.map((x) => x.status), ["already-applied"]);
    assertEquals(v[0]!.line, lineOf(tree, "arch/arm/Kconfig", /^config XEN$/));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("intake: a file without a diff is refused in one line", async () => {
  const tmp = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(tmp, "Subject: hello\n\njust words\n");
    let message = "";
    await readPatch(tmp).catch((e) => message = e.message);
    assertEquals(
      message,
      `Cannot read patch '${tmp}': no message holds a diff (no 'diff --git' line)`,
    );
  } finally {
    await Deno.remove(tmp);
  }
});
