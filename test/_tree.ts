/**
 * Shared test helper: the pristine Linux 6.1 tree from Debian's linux-source-6.1, extracted
 * once into the kmatrix cache by the tree stage and reused by every test. Never write into it.
 *
 * @module
 */
import "./_cache.ts";
import { ensureTree, type KernelTree } from "../lib/tree/kernel_tree.ts";

let pending: Promise<KernelTree> | undefined;

/** The tree record (directory, commit, version), extracting it on first use. */
export function kernelTreeRecord(): Promise<KernelTree> {
  pending ??= ensureTree("debian:linux-source-6.1", {
    onProgress: (line) => console.error(line),
  });
  return pending;
}

/** Absolute path of the pristine kernel tree. */
export async function kernelTree(): Promise<string> {
  return (await kernelTreeRecord()).dir;
}

const others = new Map<string, Promise<KernelTree>>();

/** The pristine tree of another Debian kernel source package (`linux-source-6.12`). */
export function debianTreeRecord(pkg: string): Promise<KernelTree> {
  let t = others.get(pkg);
  if (!t) {
    t = ensureTree(`debian:${pkg}`, { onProgress: (line) => console.error(line) });
    others.set(pkg, t);
  }
  return t;
}
