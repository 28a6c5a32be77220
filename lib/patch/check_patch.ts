/**
 * What a patch file must be before it is given to `git apply`: not empty, holding a diff, and
 * changing only files inside the tree. `git apply` refuses `..` in paths by itself; kmatrix
 * says so first, at the line, instead of relying on it.
 *
 * @module
 */

/** A problem of a patch file, at a 1-based line. */
export interface PatchProblem {
  /** 1-based line of the patch file. */
  line: number;
  /** What is wrong and what to do. */
  problem: string;
}

const MAKE_ONE = "give a patch made by 'git format-patch' or 'diff -u'";

/** Header lines that name a path, and how to take the path out of them. */
const PATH_LINES: [RegExp, (m: RegExpMatchArray) => string[]][] = [
  [/^diff --git (\S+) (\S+)$/, (m) => [m[1]!, m[2]!]],
  [/^diff --git "(.+)" "(.+)"$/, (m) => [m[1]!, m[2]!]],
  [/^(?:---|\+\+\+) ("[^"]*"|[^\t]+)/, (m) => [m[1]!.replace(/^"|"$/g, "").trimEnd()]],
  [/^(?:rename|copy) (?:from|to) (.+)$/, (m) => [m[1]!]],
];

/**
 * The first problem of patch `text`, or `undefined` when it may be applied: empty, no diff in
 * it, or a path that leaves the tree (absolute, `..`, or into `.git`).
 */
export function checkPatchText(text: string): PatchProblem | undefined {
  if (text.trim() === "") return { line: 1, problem: `the patch is empty; ${MAKE_ONE}` };
  const lines = text.split("\n");
  let diff = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.replace(/\r$/, "");
    if (l.startsWith("diff --git ")) diff = true;
    if (l.startsWith("+++ ") && lines[i - 1]?.startsWith("--- ")) diff = true;
    // Only header lines carry paths; hunk bodies start with ' ', '+', '-', '\' or '@'.
    if (l.startsWith("--- ") || l.startsWith("+++ ")) {
      const next = lines[i + 1] ?? "", prev = lines[i - 1] ?? "";
      if (!(next.startsWith("+++ ") || next.startsWith("@@") || prev.startsWith("--- "))) continue;
    }
    for (const [re, paths] of PATH_LINES) {
      const m = l.match(re);
      if (!m) continue;
      for (const p of paths(m)) {
        if (p === "/dev/null") continue;
        if (leavesTree(p)) {
          return {
            line: i + 1,
            problem:
              `path '${p}' is outside the tree; a patch may only change files inside the kernel tree`,
          };
        }
      }
      break;
    }
  }
  if (!diff) {
    return {
      line: 1,
      problem: `no diff in it (no 'diff --git' or '---'/'+++' lines); ${MAKE_ONE}`,
    };
  }
  return undefined;
}

/** An absolute path, a `..` component, or a path into a `.git` directory. */
function leavesTree(path: string): boolean {
  if (path.startsWith("/")) return true;
  return path.split(/[\\/]/).some((part) => part === ".." || part.toLowerCase() === ".git");
}
