/**
 * The Kbuild object model: which objects a real `make vmlinux` compiles into vmlinux
 * (built-in), into `lib.a` archives and into modules, computed from the tree and a resolved
 * config without running make.
 *
 * It follows Linux 6.1's kbuild (Documentation/kbuild/makefiles.rst, "Goal definitions",
 * "Built-in object goals", "Loadable module goals", "Library file goals", "Descending down in
 * directories", and scripts/Makefile.lib's list handling as that document describes it):
 *
 * - the top-level `Kbuild` lists the directories of vmlinux (`obj-y += init/ … drivers/ …`),
 *   with `$(ARCH_CORE)`, `$(ARCH_LIB)` and `$(ARCH_DRIVERS)` taken from the arch Makefile's
 *   `core-y`, `libs-y` (directories only) and `drivers-y`; the top Makefile sets `libs-y := lib/`
 *   before it includes `arch/$(SRCARCH)/Makefile`;
 * - each directory is read from its `Kbuild`, else its `Makefile`, with the config's
 *   `CONFIG_*` set (`y`, `m`, strings and numbers as in `include/config/auto.conf`; `n` unset);
 * - `obj-m` loses what is also in `obj-y`; `lib-y` is `lib-y lib-m` minus `obj-y`;
 * - `foo/` in `obj-y` descends into `foo` for built-in objects (a built-in.a is made only when
 *   the parent needs one), `foo/` in `obj-m` descends for modules only;
 * - `foo.o` is composite when `foo-objs`, `foo-y` or `foo-` (and, for modules, `foo-m`) is set
 *   and non-empty; its parts are `$(foo-objs) $(foo-y)` (and `$(foo-m)` for modules), one level.
 *
 * A directory whose lists depend on what this model does not run (`$(shell)`, `$(eval)`, a
 * compiler probe through `$(call cc-…)`) is reported in `unmodelled` with the reason.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import { MakeScope } from "./make_eval.ts";

/** Options for {@linkcode kbuildObjects}. */
export interface KbuildOptions {
  /** Kernel ARCH (`arm`). */
  arch: string;
  /** SRCARCH (default: ARCH, as for arm). */
  srcarch?: string;
  /** The resolved value of a Kconfig symbol without `CONFIG_`: `y`, `m`, `n`, a number or a string. */
  value: (name: string) => string;
  /**
   * Visit only the directories (relative, `.` excluded) this accepts; the others are left out as
   * if empty. For a question about a few objects: accept their directories and their parents.
   */
  only?: (dir: string) => boolean;
}

/** A directory whose object lists were not computed faithfully. */
export interface Unmodelled {
  /** Directory relative to the tree (`.` for the top). */
  dir: string;
  /** What the model does not run. */
  reason: string;
}

/** The objects a build makes, relative to the tree (equal to the paths under `O=`). */
export interface KbuildModel {
  /**
   * Primitive objects linked into `built-in.a` archives, hence into `vmlinux.a`, in the order
   * of `vmlinux.a` (the link order: head objects first, then depth first in list order).
   */
  builtin: string[];
  /** Primitive objects of `lib.a` archives of the `libs-y` directories (linked when used). */
  lib: string[];
  /** Modules (`drivers/foo/bar.ko`) with their primitive objects. */
  modules: Map<string, string[]>;
  /** Directories visited for built-in objects, in visiting order. */
  dirs: string[];
  /** Directories the model could not evaluate faithfully. */
  unmodelled: Unmodelled[];
}

function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

/** The make variables a config sets: `CONFIG_X` for every symbol that is not `n`. */
function configVars(value: (name: string) => string, names: Iterable<string>) {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = value(n);
    if (v !== "n" && v !== "") out[`CONFIG_${n}`] = v;
  }
  return out;
}

/** Options for {@linkcode KbuildTree}. */
export interface KbuildTreeOptions extends KbuildOptions {
  /** Every symbol name the config knows (so that `CONFIG_*` variables can be set). */
  symbols: Iterable<string>;
}

/**
 * Compute the objects of a build of `src` for a resolved config.
 *
 * @example Usage
 * ```ts ignore
 * const kc = await loadKconfig(src, { arch: "arm", crossCompile: "arm-linux-gnueabi-" });
 * kc.allnoconfig({ fragment: ["CONFIG_MMU=y"] });
 * const model = kbuildObjects(src, {
 *   arch: "arm", value: (n) => kc.value(n), symbols: kc.tree.symbols.keys(),
 * });
 * model.builtin.includes("init/main.o"); // true
 * ```
 *
 * @param src Kernel source tree.
 * @param options ARCH, and the config as a value lookup plus the symbol names.
 */
export function kbuildObjects(src: string, options: KbuildTreeOptions): KbuildModel {
  const srcarch = options.srcarch ?? options.arch;
  const config = configVars(options.value, options.symbols);
  const base = {
    ...config,
    srctree: src,
    objtree: ".",
    ARCH: options.arch,
    SRCARCH: srcarch,
    CONFIG_SHELL: "/bin/sh",
  };
  const host = (cwd: string) => ({
    cwd,
    resolveInclude(name: string): string | undefined {
      // auto.conf is the config we already set; scripts/ holds kbuild's own machinery.
      if (/(^|\/)include\/config\/auto\.conf$/.test(name)) return undefined;
      if (/(^|\/)scripts\/(Kbuild\.include|Makefile\.[a-z]+)$/.test(name)) return undefined;
      return isAbsolute(name) ? name : join(src, name);
    },
  });
  const unmodelled: Unmodelled[] = [];

  // The arch Makefile, read as the top Makefile reads it: after `core-y :=`, `drivers-y :=`,
  // `libs-y := lib/`.
  const arch = new MakeScope(host(src), {
    ...base,
    "core-y": "",
    "drivers-y": "",
    "libs-y": "lib/",
  });
  const archMk = join(src, "arch", srcarch, "Makefile");
  arch.evalFile(archMk, Deno.readTextFileSync(archMk));
  const archTaint = new Set<string>();
  const core = arch.get("core-y", archTaint);
  const libs = arch.get("libs-y", archTaint);
  const drivers = `${arch.get("drivers-y", archTaint)} ${arch.get("drivers-m", archTaint)}`;
  if (archTaint.size > 0) {
    unmodelled.push({ dir: `arch/${srcarch}`, reason: [...archTaint].join("; ") });
  }
  const libDirs = new Set(words(libs).filter((w) => w.endsWith("/")).map((w) => w.slice(0, -1)));

  const builtin: string[] = [];
  const lib: string[] = [];
  const modules = new Map<string, string[]>();
  const dirs: string[] = [];
  // Module-only directories, visited after the built-in walk (their order does not matter).
  const queue: { dir: string; builtin: boolean }[] = [];
  const seen = new Set<string>();
  // Depth first in list order: a subdirectory's built-in.a sits where `foo/` is in obj-y, so
  // this is the order of the objects in vmlinux.a (the link order).
  const visit = (dir: string, needBuiltin: boolean): void => {
    const key = `${dir}\0${needBuiltin}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (dir !== "." && options.only && !options.only(dir)) return;
    const abs = join(src, dir);
    const file = existsSync(join(abs, "Kbuild")) ? join(abs, "Kbuild") : join(abs, "Makefile");
    if (!existsSync(file)) {
      unmodelled.push({ dir, reason: "no Kbuild or Makefile" });
      return;
    }
    if (needBuiltin) dirs.push(dir);
    const scope = new MakeScope(host(src), {
      ...base,
      src: dir,
      obj: dir,
      ...(dir === "."
        ? {
          ARCH_CORE: core,
          ARCH_LIB: words(libs).filter((w) => w.endsWith("/")).join(" "),
          ARCH_DRIVERS: drivers,
        }
        : {}),
    });
    scope.evalFile(file, Deno.readTextFileSync(file));
    const taint = new Set<string>(scope.fileTaint.filter((t) => /obj-|lib-|-y\b|-objs/.test(t)));
    const get = (name: string) => words(scope.get(name, taint));
    const objY = get("obj-y");
    const objYSet = new Set(objY);
    const objM = get("obj-m").filter((o) => !objYSet.has(o));
    const libY = [...new Set([...get("lib-y"), ...get("lib-m")])].sort()
      .filter((o) => !objYSet.has(o));
    const rel = (o: string) => normalize(join(dir, o)).replace(/\/$/, "");
    /** Parts of a composite, or undefined for a primitive object. */
    const parts = (o: string, suffixes: string[]): string[] | undefined => {
      if (!o.endsWith(".o")) return undefined;
      const stem = o.slice(0, -2);
      const composite = [...suffixes, "-"].some((s) => scope.get(stem + s, taint).trim() !== "");
      if (!composite) return undefined;
      return suffixes.flatMap((s) => words(scope.get(stem + s, taint)));
    };
    if (needBuiltin) {
      for (const o of objY) {
        if (o.endsWith("/")) {
          visit(rel(o), true);
          continue;
        }
        const p = parts(o, ["-objs", "-y"]);
        for (const part of p ?? [o]) builtin.push(rel(part));
      }
      if (libDirs.has(dir)) {
        for (const o of libY) {
          if (o.endsWith("/")) continue;
          for (const part of parts(o, ["-objs", "-y"]) ?? [o]) lib.push(rel(part));
        }
      }
    }
    for (const o of objM) {
      if (o.endsWith("/")) {
        queue.push({ dir: rel(o), builtin: false });
        continue;
      }
      const p = parts(o, ["-objs", "-y", "-m"]);
      modules.set(rel(o).replace(/\.o$/, ".ko"), (p ?? [o]).map(rel));
    }
    // Dirs in obj-y of a directory that needs no built-in.a still build their modules.
    if (!needBuiltin) {
      for (const o of objY) if (o.endsWith("/")) queue.push({ dir: rel(o), builtin: false });
    }
    if (taint.size > 0) unmodelled.push({ dir, reason: [...taint].join("; ") });
  };
  visit(".", true);
  while (queue.length > 0) {
    const next = queue.shift()!;
    visit(next.dir, next.builtin);
  }
  // make sees each prerequisite once: an object listed twice is archived once.
  const linked = [...new Set(builtin)];
  // The top Makefile's vmlinux.a recipe moves the members matching a line of
  // scripts/head-object-list.txt (`grep -F`) to the front, in their archive order.
  const headList = join(src, "scripts", "head-object-list.txt");
  const heads = existsSync(headList)
    ? Deno.readTextFileSync(headList).split("\n").map((l) => l.trim()).filter((l) =>
      l && !l.startsWith("#")
    )
    : [];
  const isHead = (o: string) => heads.some((h) => o.includes(h));
  return {
    builtin: [...linked.filter(isHead), ...linked.filter((o) => !isHead(o))],
    lib: [...new Set(lib)],
    modules,
    dirs,
    unmodelled,
  };
}
