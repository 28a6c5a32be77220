/**
 * The patch stage: give each variant its own git worktree of the pristine tree with the
 * variant's patches applied (`git apply`) and committed. The pristine tree is never modified;
 * a worktree is keyed by the base commit and the patches' bytes, and reused while they match.
 *
 * @module
 */
import { $ } from "zx";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { gitEnv, type KernelTree } from "../tree/kernel_tree.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { withFileLock } from "../tree/cache_lock.ts";
import { checkPatchText } from "./check_patch.ts";
import { InputError } from "../errors.ts";

/** A variant ready to build. */
export interface VariantTree {
  /** Variant name. */
  name: string;
  /** Cache key: hash of the base commit and the patches. */
  key: string;
  /** The variant's directory in the cache; `src` is the worktree, `build/` holds O= dirs. */
  root: string;
  /** Absolute path of the patched source (a git worktree). */
  src: string;
  /** Commit of the patched source (equals the base commit when there are no patches). */
  commit: string;
}

/** Options for {@linkcode prepareVariant}. */
export interface PrepareVariantOptions {
  /** Cache directory; defaults to {@linkcode cacheDir}. */
  cache?: string;
  /** Called with a line of progress for each slow step. */
  onProgress?: (line: string) => void;
  /** Directory patch names are shown relative to in errors; defaults to the cwd. */
  displayBase?: string;
}

/**
 * Make (or reuse) the worktree for a variant: `patches` applied in order onto `tree.commit`.
 * A patch that does not apply throws `Cannot apply patch '<file>' …: <file>:<line>: <reason>`.
 */
export async function prepareVariant(
  tree: KernelTree,
  variant: { name: string; patches: readonly string[] },
  options: PrepareVariantOptions = {},
): Promise<VariantTree> {
  const log = options.onProgress ?? (() => {});
  const hash = createHash("sha256").update(tree.commit);
  for (const p of variant.patches) hash.update("\0").update(await Deno.readFile(p));
  const key = hash.digest("hex").slice(0, 16);
  const variants = join(options.cache ?? cacheDir(), "variants");
  await Deno.mkdir(variants, { recursive: true });
  // git records a worktree by its path: through a symlinked cache, record the real one.
  const root = join(await Deno.realPath(variants), key);
  const src = join(root, "src");
  const ready = join(root, "ready.json");
  const made = async () => {
    if (!existsSync(ready) || !existsSync(join(src, "Makefile"))) return undefined;
    const { commit } = JSON.parse(await Deno.readTextFile(ready)) as { commit: string };
    return { name: variant.name, key, root, src, commit };
  };
  const reused = await made();
  if (reused) return reused;
  // One variant made at a time per cache (worktrees share the tree's .git): a second maker
  // waits, then finds the worktree made.
  return await withFileLock(join(variants, ".lock"), async () => {
    const meanwhile = await made();
    if (meanwhile) return meanwhile;
    // Apply and commit the patches in a private index first: a patch that does not apply fails
    // in a second, before 1.5 GB are checked out.
    const commit = await commitPatches(tree, variant, options.displayBase ?? Deno.cwd(), log);
    // A half-made worktree from an interrupted run: drop it and start again.
    await $({ quiet: true, nothrow: true })`git -C ${tree.dir} worktree remove --force ${src}`;
    await Deno.remove(root, { recursive: true }).catch(() => {});
    await $({ quiet: true })`git -C ${tree.dir} worktree prune`;
    await Deno.mkdir(root, { recursive: true });
    log(`patch: checking out variant '${variant.name}' (${key})`);
    await $({ quiet: true })`git -C ${tree.dir} worktree add --detach ${src} ${commit}`;
    await Deno.writeTextFile(
      ready,
      JSON.stringify({
        variant: variant.name,
        base: tree.commit,
        commit,
        patches: variant.patches,
      }),
    );
    return { name: variant.name, key, root, src, commit };
  }, { onWait: (line) => log(`patch: ${line}`) });
}

async function commitPatches(
  tree: KernelTree,
  variant: { name: string; patches: readonly string[] },
  displayBase: string,
  log: (line: string) => void,
): Promise<string> {
  const index = await Deno.makeTempFile({ prefix: "kmatrix-index-" });
  try {
    const git = $({
      quiet: true,
      nothrow: true,
      cwd: tree.dir,
      env: { ...gitEnv(), GIT_INDEX_FILE: index },
    });
    await git`git read-tree ${tree.commit}`;
    let parent = tree.commit;
    for (const patch of variant.patches) {
      const shown = relative(displayBase, patch);
      log(`patch: applying ${shown}`);
      // git apply refuses paths outside the tree too; say it first, at the patch's line.
      const problem = checkPatchText(await Deno.readTextFile(patch));
      if (problem) {
        throw new InputError(
          `Cannot apply patch '${shown}' to variant '${variant.name}': ${shown}:${problem.line}: ${problem.problem}`,
        );
      }
      const r = await git`git apply --cached --whitespace=nowarn ${patch}`;
      if (r.exitCode !== 0) {
        throw new InputError(
          `Cannot apply patch '${shown}' to variant '${variant.name}': ${applyFailure(r.stderr)}`,
        );
      }
      const treeId = (await git`git write-tree`).stdout.trim();
      if (treeId === (await git`git rev-parse ${parent + "^{tree}"}`).stdout.trim()) {
        throw new InputError(
          `Cannot apply patch '${shown}' to variant '${variant.name}': it changes nothing`,
        );
      }
      parent = (await git`git commit-tree ${treeId} -p ${parent} -m ${await subjectOf(patch)}`)
        .stdout.trim();
    }
    return parent;
  } finally {
    await Deno.remove(index).catch(() => {});
  }
}

/** The useful part of git apply's complaint: `file:line: reason` on one line. */
function applyFailure(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.replace(/^error: /, "").trim()).filter(Boolean);
  const at = lines.find((l) => l.startsWith("patch failed: "))?.slice("patch failed: ".length);
  let why = lines.find((l) => !l.startsWith("patch failed: ")) ?? lines[0] ?? "git apply failed";
  const file = at?.replace(/:\d+$/, "");
  if (file && why.startsWith(`${file}: `)) why = why.slice(file.length + 2);
  return at ? `${at}: ${why}; rebase the patch onto this tree` : why;
}

async function subjectOf(patch: string): Promise<string> {
  const text = await Deno.readTextFile(patch);
  const subject = text.match(/^Subject: (?:\[[^\]]*\] )?(.*)$/m)?.[1];
  return subject ?? basename(patch);
}
