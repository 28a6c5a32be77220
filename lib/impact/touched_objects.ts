/**
 * What a patch touches, in build terms: the objects compiled from the files it changes (a `.c`
 * or `.S` file is its `.o`; a header is every object whose source includes it, directly or
 * through other headers), the directories whose Makefile or Kbuild it changes, and whether it
 * changes Kconfig. And, per configuration, which of those objects a build compiles.
 *
 * @module
 */
import { join, posix } from "node:path";
import { existsSync } from "node:fs";
import { kbuildObjects } from "../kbuild/kbuild_objects.ts";
import type { Kconfig } from "../kconfig/kconfig.ts";

/** The build-relevant part of the files a patch changes. */
export interface Touched {
  /** Objects whose source the patch changes, or that include a changed header (`dir/x.o`). */
  objects: string[];
  /** For each object reached through a header, the header (for the reason text). */
  via: Map<string, string>;
  /** Directories whose `Makefile`/`Kbuild` the patch changes. */
  makefiles: string[];
  /** The patch changes a Kconfig file or a defconfig: configurations must be resolved twice. */
  kconfig: boolean;
  /** Defconfig files the patch changes (`multi_v7_defconfig`). */
  defconfigs: string[];
  /** Kconfig files the patch changes. */
  kconfigFiles: string[];
  /** Changed files that reach no object (documentation, scripts, …). */
  other: string[];
}

/** Options for {@linkcode touchedObjects}. */
export interface TouchedOptions {
  /** SRCARCH, for `arch/<srcarch>/include` headers (`asm/…`). */
  srcarch: string;
  /** How many header levels to follow (default 3). */
  depth?: number;
}

/**
 * Map the changed files of a patch to objects. Headers are followed through `#include`
 * lines found with `git grep` in `src` (a git checkout), up to `depth` levels of headers.
 *
 * @param src The tree the patch applies to.
 * @param files Paths the patch changes, relative to the tree.
 * @param options SRCARCH and the include depth.
 */
export function touchedObjects(
  src: string,
  files: readonly string[],
  options: TouchedOptions,
): Touched {
  const objects = new Set<string>();
  const via = new Map<string, string>();
  const makefiles: string[] = [];
  const other: string[] = [];
  let kconfig = false;
  const defconfigs: string[] = [];
  const kconfigFiles: string[] = [];
  const headers: string[] = [];
  for (const f of files) {
    const base = posix.basename(f);
    if (/\.(c|S)$/.test(f)) objects.add(f.replace(/\.(c|S)$/, ".o"));
    else if (/\.h$/.test(f)) headers.push(f);
    else if (/^Kconfig/.test(base)) {
      kconfig = true;
      kconfigFiles.push(f);
    } else if (f.startsWith(`arch/${options.srcarch}/configs/`)) {
      kconfig = true;
      defconfigs.push(base);
    } else if (base === "Makefile" || base === "Kbuild") makefiles.push(posix.dirname(f));
    else other.push(f);
  }
  // Breadth first through headers, one search per level: a header's includers are .c/.S
  // files (objects) and headers (followed to the next level).
  let level = new Map(headers.map((h) => [h, h]));
  const seen = new Set(headers);
  for (let d = 0; d < (options.depth ?? 3) && level.size > 0; d++) {
    const next = new Map<string, string>();
    for (const [user, header] of includers(src, [...level.keys()], options.srcarch)) {
      const root = level.get(header)!;
      if (/\.(c|S)$/.test(user)) {
        const o = user.replace(/\.(c|S)$/, ".o");
        if (!objects.has(o)) {
          objects.add(o);
          via.set(o, root);
        }
      } else if (user.endsWith(".h") && !seen.has(user)) {
        seen.add(user);
        next.set(user, root);
      }
    }
    level = next;
  }
  return {
    objects: [...objects].sort(),
    via,
    makefiles,
    kconfig,
    defconfigs,
    kconfigFiles,
    other,
  };
}

/**
 * The include names a header is known by: `linux/err.h` for `include/linux/err.h`, `asm/x.h`
 * for `arch/<srcarch>/include/asm/x.h`, the uapi forms, and `x.h` for files of its directory.
 */
function includeNames(header: string, srcarch: string): { global: string[]; local: string } {
  const global: string[] = [];
  for (
    const prefix of [
      "include/uapi/",
      "include/",
      `arch/${srcarch}/include/uapi/`,
      `arch/${srcarch}/include/generated/`,
      `arch/${srcarch}/include/`,
    ]
  ) {
    if (header.startsWith(prefix)) {
      global.push(header.slice(prefix.length));
      break;
    }
  }
  return { global, local: posix.basename(header) };
}

/**
 * Files that `#include` one of the headers: by its global name anywhere, or by its base name
 * from a file of its own directory. Returns [including file, header] pairs. The search is for
 * fixed strings (git grep -F is fast, its regular expressions are not on a kernel tree); the
 * lines found are then read as `#include` lines here.
 */
function includers(src: string, headers: string[], srcarch: string): [string, string][] {
  const byGlobal = new Map<string, string>();
  const byLocal = new Map<string, string[]>();
  for (const h of headers) {
    const { global, local } = includeNames(h, srcarch);
    for (const g of global) byGlobal.set(g, h);
    byLocal.set(local, [...(byLocal.get(local) ?? []), h]);
  }
  const out: [string, string][] = [];
  const included = (line: string) => line.match(/^\s*#\s*include\s*([<"])([^>"]+)[>"]/);
  for (const names of chunks([...byGlobal.keys()])) {
    for (const [file, line] of gitGrepLines(src, names, ["*.c", "*.S", "*.h"])) {
      const h = byGlobal.get(included(line)?.[2] ?? "");
      if (h && h !== file) out.push([file, h]);
    }
  }
  const dirs = [...new Set(headers.map((h) => posix.dirname(h)))];
  const specs = dirs.flatMap((d) => [`${d}/*.c`, `${d}/*.S`, `${d}/*.h`]);
  for (const names of chunks([...byLocal.keys()])) {
    for (const specChunk of chunks(specs)) {
      for (const [file, line] of gitGrepLines(src, names, specChunk)) {
        const m = included(line);
        if (m?.[1] !== '"') continue;
        // `#include "x.h"` resolves next to the including file first.
        const h = (byLocal.get(m[2]!) ?? []).find((x) => posix.dirname(x) === posix.dirname(file));
        if (h && h !== file) out.push([file, h]);
      }
    }
  }
  return out;
}

function chunks<T>(xs: T[]): T[][] {
  const r: T[][] = [];
  for (let i = 0; i < xs.length; i += 300) r.push(xs.slice(i, i + 300));
  return r;
}

/** `git grep -F`: [file, line] pairs of the lines holding any of the strings. */
function gitGrepLines(src: string, strings: string[], pathspecs: string[]): [string, string][] {
  const r = new Deno.Command("git", {
    args: ["grep", "-F", ...strings.flatMap((s) => ["-e", s]), "--", ...pathspecs],
    cwd: src,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (r.code > 1) {
    throw new Error(
      `Cannot search '${src}' for includes: ${new TextDecoder().decode(r.stderr).trim()}`,
    );
  }
  return new TextDecoder().decode(r.stdout).split("\n").filter(Boolean).map((l) => {
    const at = l.indexOf(":");
    return [l.slice(0, at), l.slice(at + 1)];
  });
}

/** How a build makes an object. */
export interface CompiledAs {
  /** `built-in`, `lib`, or the module (`drivers/xen/xen-evtchn.ko`). */
  as: string;
}

/**
 * The build of one tree for a few target directories, with the object model restricted to
 * the directories on the way to them, memoised on the values of the `CONFIG_*` symbols those
 * Makefiles name: configurations that agree on them share one evaluation.
 */
export class CompiledObjects {
  #src: string;
  #arch: string;
  #srcarch: string;
  #dirs: string[];
  #symbols: string[];
  #memo = new Map<string, Map<string, CompiledAs>>();
  #visited = new Map<string, Set<string>>();

  /**
   * @param src The tree.
   * @param objects The objects asked about (their directories are walked to).
   * @param options ARCH and SRCARCH.
   */
  constructor(src: string, objects: readonly string[], options: { arch: string; srcarch: string }) {
    this.#src = src;
    this.#arch = options.arch;
    this.#srcarch = options.srcarch;
    this.#dirs = [...new Set(objects.map((o) => posix.dirname(o)))];
    this.#symbols = [...referencedSymbols(src, this.#dirs, this.#srcarch)].sort();
  }

  /** Directories walked for a question about `dir`: it and its parents. */
  #only = (dir: string): boolean =>
    this.#dirs.some((t) => t === dir || t.startsWith(`${dir}/`) || dir === ".");

  /** The compiled objects of the target directories under the engine's current configuration. */
  compiled(kc: Kconfig): Map<string, CompiledAs> {
    const values = this.#symbols.map((s) => kc.value(s));
    const key = values.join("\0");
    const hit = this.#memo.get(key);
    if (hit) return hit;
    const known = new Map(this.#symbols.map((s, i) => [s, values[i]!]));
    const model = kbuildObjects(this.#src, {
      arch: this.#arch,
      srcarch: this.#srcarch,
      value: (n) => known.get(n) ?? "n",
      symbols: this.#symbols,
      only: this.#only,
    });
    const out = new Map<string, CompiledAs>();
    for (const o of model.builtin) out.set(o, { as: "built-in" });
    for (const o of model.lib) if (!out.has(o)) out.set(o, { as: "lib" });
    for (const [ko, parts] of model.modules) {
      for (const o of parts) if (!out.has(o)) out.set(o, { as: ko });
    }
    this.#memo.set(key, out);
    this.#visited.set(
      key,
      new Set([...model.dirs, ...[...model.modules.keys()].map(posix.dirname)]),
    );
    return out;
  }

  /**
   * Why `object` is not compiled under the current configuration, naming the Makefile line
   * that leaves its directory out: `drivers/Makefile:46: obj-$(CONFIG_XEN) += xen/ (XEN=n)`.
   */
  whyNot(kc: Kconfig, object: string): string {
    this.compiled(kc);
    const visited = this.#visited.get(this.#symbols.map((s) => kc.value(s)).join("\0"))!;
    const dir = posix.dirname(object);
    if (visited.has(dir)) return `${dir}/ is built but its Makefile does not list it`;
    const parts = dir.split("/");
    let parent = ".";
    let i = 0;
    for (; i < parts.length; i++) {
      const d = parts.slice(0, i + 1).join("/");
      if (!visited.has(d)) break;
      parent = d;
    }
    const child = parts[i]!;
    for (const name of ["Kbuild", "Makefile"]) {
      const file = parent === "." ? name : `${parent}/${name}`;
      const path = join(this.#src, file);
      if (!existsSync(path)) continue;
      const lines = Deno.readTextFileSync(path).split("\n");
      const at = lines.findIndex((l) => new RegExp(`(^|[\\s=])${child}/(\\s|$)`).test(l));
      if (at < 0) continue;
      const syms = [...lines[at]!.matchAll(/CONFIG_([A-Za-z0-9_]+)/g)].map((m) =>
        `${m[1]}=${kc.value(m[1]!) || "n"}`
      );
      return `${file}:${at + 1}: ${lines[at]!.replace(/\s+/g, " ").trim()}${
        syms.length ? ` (${syms.join(", ")})` : ""
      }`;
    }
    return `the build does not enter ${parent === "." ? "" : `${parent}/`}${child}/`;
  }
}

/**
 * The `CONFIG_*` names the Makefiles on the way to `dirs` mention: the top Kbuild and Makefile,
 * the arch Makefiles, and the Makefile/Kbuild of every directory from the top to each target.
 */
function referencedSymbols(src: string, dirs: string[], srcarch: string): Set<string> {
  const files = new Set<string>(["Kbuild", "Makefile"]);
  const archDir = join(src, "arch", srcarch);
  for (const e of Deno.readDirSync(archDir)) {
    if (e.isFile && /^(Makefile|Kbuild)/.test(e.name)) files.add(`arch/${srcarch}/${e.name}`);
  }
  for (const d of dirs) {
    const parts = d.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      files.add(`${dir}/Makefile`);
      files.add(`${dir}/Kbuild`);
    }
  }
  const out = new Set<string>();
  for (const f of files) {
    const path = join(src, f);
    if (!existsSync(path)) continue;
    for (const m of Deno.readTextFileSync(path).matchAll(/CONFIG_([A-Za-z0-9_]+)/g)) out.add(m[1]!);
  }
  return out;
}
