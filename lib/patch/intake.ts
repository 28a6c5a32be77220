/**
 * Patch intake: a patch as kernel developers send it, read and checked against a tree.
 *
 * Three inputs are read:
 * - a `git format-patch` file or an mbox (`From ` separated messages; the first one carrying a
 *   diff is the patch, the others are replies whose unquoted tags count too);
 * - a saved mailing-list page (patchwork's "diff mbox" page, such as the founding case's): the
 *   commit message, the comments below it, then the diff under "Patch";
 * - a bare unified diff.
 *
 * Then each hunk is checked on its own (`git apply --check` on a one-hunk patch, forward and in
 * reverse), so a patch written for another tree gets a verdict per hunk instead of failing
 * whole: it applies (possibly at an offset), it is already applied, or it conflicts, with the
 * reason read from the tree (where the context moved to, a Kconfig symbol that is gone, the
 * added line already present).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.ts";

/** A trailer such as `Acked-by: Ian Campbell <ian.campbell@citrix.com>`. */
export interface PatchTag {
  /** Tag name: `Signed-off-by`, `Acked-by`, `Reviewed-by`, `Cc`, … */
  name: string;
  /** What follows the colon. */
  value: string;
  /** Where it was given: `commit message`, or `reply from <name>`. */
  from: string;
}

/** One hunk of a file's diff. */
export interface Hunk {
  /** The file the hunk changes (the new path). */
  file: string;
  /** 1-based index of the hunk within its file. */
  index: number;
  /** Start line in the old file, as the header says. */
  oldStart: number;
  /** Line count in the old file. */
  oldLines: number;
  /** Start line in the new file. */
  newStart: number;
  /** Line count in the new file. */
  newLines: number;
  /** The header's section text (`config XEN_DOM0`, a function name), trimmed. */
  section: string;
  /** The body lines, each with its prefix (` `, `-`, `+`, `\`). */
  lines: string[];
}

/** A file's part of the diff. */
export interface FilePatch {
  /** Path before (`/dev/null` for a new file). */
  oldPath: string;
  /** Path after (`/dev/null` for a deleted file). */
  newPath: string;
  /** The header lines from `diff --git` to `+++` (the `index` line dropped). */
  header: string[];
  /** The hunks, in order. */
  hunks: Hunk[];
}

/** A patch read from a file. */
export interface IntakePatch {
  /** What the input was. */
  format: "format-patch" | "mbox" | "page" | "diff";
  /** Subject without the `[PATCH …]` prefix. */
  subject: string;
  /** Author's name. */
  author: string;
  /** Author's address, when given (or found in the author's own Signed-off-by). */
  email?: string;
  /** Date as ISO 8601, when it could be read. */
  date?: string;
  /** Message-ID, when given. */
  messageId?: string;
  /** The commit message (without the diffstat). */
  message: string;
  /** Tags from the commit message, then from the replies in order. */
  tags: PatchTag[];
  /** Replies: author and date. */
  replies: { author: string; date?: string }[];
  /** The files the diff changes. */
  files: FilePatch[];
}

const TAG =
  /^(Signed-off-by|Acked-by|Reviewed-by|Tested-by|Reported-by|Suggested-by|Co-developed-by|Cc|Fixes|Link|Closes):\s*(.+?)\s*$/i;
const MBOX_FROM = /^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;
const PAGE_DATE =
  /^(.+?) ((Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)[a-z]*\.? (\d{1,2}), (\d{4}), (\d{1,2}(:\d{2})? ([ap])\.m\.|noon|midnight) UTC)( \| #\d+)?\s*$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Read a patch file (format-patch, mbox, saved mailing-list page or bare diff).
 *
 * @example Usage
 * ```ts ignore
 * const p = await readPatch("test/fixtures/intake/seed-page.txt");
 * p.subject; // "ARM: Xen: fix initial build problems"
 * p.tags.find((t) => t.name === "Acked-by"); // { value: "Ian Campbell <…>", from: "reply from Ian Campbell" }
 * ```
 *
 * @param path The file.
 */
export async function readPatch(path: string): Promise<IntakePatch> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`Cannot read patch '${path}': ${(e as Error).message}`);
  }
  try {
    return parsePatch(text);
  } catch (e) {
    throw new InputError(`Cannot read patch '${path}': ${(e as Error).message}`);
  }
}

/** Parse patch text; see {@linkcode readPatch}. Throws when it holds no diff. */
export function parsePatch(text: string): IntakePatch {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.some((l) => MBOX_FROM.test(l)) || /^(From|Subject|Date): /m.test(lines[0] ?? "")) {
    return parseMbox(lines);
  }
  const patchAt = findPagePatch(lines);
  if (patchAt >= 0 && lines.some((l) => l.trim() === "Commit Message")) {
    return parsePage(lines, patchAt);
  }
  const files = parseDiff(lines);
  return { format: "diff", subject: "", author: "", message: "", tags: [], replies: [], files };
}

// ---------------------------------------------------------------------------------------------
// mbox and format-patch

interface Mail {
  headers: Map<string, string>;
  body: string[];
}

function parseMbox(lines: string[]): IntakePatch {
  const mails: Mail[] = [];
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.some((l) => l.trim() !== "")) mails.push(parseMail(chunk));
    chunk = [];
  };
  for (const l of lines) {
    if (MBOX_FROM.test(l)) flush();
    else chunk.push(l);
  }
  flush();
  const withDiff = mails.findIndex((m) => m.body.some((l) => l.startsWith("diff --git ")));
  if (withDiff < 0) throw new Error("no message holds a diff (no 'diff --git' line)");
  const patch = mails[withDiff]!;
  const { name, email } = splitAddress(patch.headers.get("from") ?? "");
  const diffAt = patch.body.findIndex((l) => l.startsWith("diff --git "));
  const message = messageOf(patch.body.slice(0, diffAt));
  const tags = tagsOf(message, "commit message");
  const replies: { author: string; date?: string }[] = [];
  mails.forEach((m, i) => {
    if (i === withDiff) return;
    const who = splitAddress(m.headers.get("from") ?? "").name;
    const date = isoDate(m.headers.get("date"));
    // A cover letter (before the patch, not a reply) carries no tags for this patch.
    if (i < withDiff && !m.headers.has("in-reply-to")) return;
    replies.push({ author: who, ...(date ? { date } : {}) });
    tags.push(...tagsOf(m.body.join("\n"), `reply from ${who}`));
  });
  const date = isoDate(patch.headers.get("date"));
  const id = patch.headers.get("message-id")?.replace(/^<|>$/g, "");
  return {
    format: mails.length === 1 ? "format-patch" : "mbox",
    subject: cleanSubject(patch.headers.get("subject") ?? ""),
    author: name,
    ...(email ? { email } : {}),
    ...(date ? { date } : {}),
    ...(id ? { messageId: id } : {}),
    message,
    tags,
    replies,
    files: parseDiff(patch.body.slice(diffAt)),
  };
}

function parseMail(lines: string[]): Mail {
  const headers = new Map<string, string>();
  let i = 0;
  let last = "";
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === "") break;
    if (/^\s/.test(l) && last) {
      headers.set(last, `${headers.get(last)} ${l.trim()}`);
      continue;
    }
    const m = l.match(/^([A-Za-z0-9-]+):\s*(.*)$/);
    if (!m) break;
    last = m[1]!.toLowerCase();
    headers.set(last, m[2]!);
  }
  for (const [k, v] of headers) headers.set(k, decodeWords(v));
  let body = lines.slice(i + 1);
  if (/quoted-printable/i.test(headers.get("content-transfer-encoding") ?? "")) {
    body = decodeQuotedPrintable(body.join("\n")).split("\n");
  }
  // mboxrd quoting of body lines that start with "From ".
  return { headers, body: body.map((l) => l.replace(/^>(>*From )/, "$1")) };
}

/** RFC 2047 encoded words (`=?utf-8?q?…?=`, `=?utf-8?b?…?=`). */
function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([qQbB])\?([^?]*)\?=\s*/g, (_all, charset, enc, data) => {
    let bytes: Uint8Array;
    if (enc.toLowerCase() === "b") {
      bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    } else {
      const raw = (data as string).replace(/_/g, " ");
      bytes = qpBytes(raw);
    }
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      return new TextDecoder().decode(bytes);
    }
  });
}

function qpBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(...new TextEncoder().encode(s[i]!));
  }
  return Uint8Array.from(out);
}

function decodeQuotedPrintable(s: string): string {
  return new TextDecoder().decode(qpBytes(s.replace(/=\n/g, "")));
}

function splitAddress(s: string): { name: string; email?: string } {
  const m = s.match(/^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/);
  if (m) return { name: m[1]!.trim() || m[2]!, email: m[2]! };
  const bare = s.match(/^\s*(\S+@\S+)\s*(?:\((.*)\))?\s*$/);
  if (bare) return { name: bare[2] ?? bare[1]!, email: bare[1]! };
  return { name: s.trim() };
}

function cleanSubject(s: string): string {
  return s.replace(/^(\s*(Re|Fwd?):\s*)*/i, "").replace(/^\s*(\[[^\]]*\]\s*)+/, "").trim();
}

function isoDate(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const t = new Date(s);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/** The commit message: body lines up to the `---` before the diffstat, trimmed. */
function messageOf(body: string[]): string {
  const cut = body.findIndex((l) => l === "---");
  return (cut >= 0 ? body.slice(0, cut) : body).join("\n").trim();
}

/** Unquoted tag lines of a text. */
function tagsOf(text: string, from: string): PatchTag[] {
  const out: PatchTag[] = [];
  for (const l of text.split("\n")) {
    const m = l.match(TAG);
    if (!m) continue;
    const name = m[1]!.split("-").map((w, i) =>
      i === 0 ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w.toLowerCase()
    ).join("-");
    out.push({ name, value: m[2]!, from });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Saved mailing-list page (patchwork's "diff mbox" view)

/** Index of the line `Patch` followed by the diff, or -1. */
function findPagePatch(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.trim() !== "Patch") continue;
    const next = lines.slice(i + 1).find((l) => l.trim() !== "");
    if (next?.startsWith("diff --git ")) return i;
  }
  return -1;
}

function parsePage(lines: string[], patchAt: number): IntakePatch {
  const cm = lines.findIndex((l) => l.trim() === "Commit Message");
  // The title is the first non-empty line that is not the page's "diff mbox" link.
  const title = lines.slice(0, cm).find((l) => l.trim() !== "" && l.trim() !== "diff mbox") ?? "";
  const messageId = lines.slice(0, cm).map((l) => l.match(/^Message ID\s+(\S+)/)?.[1])
    .find(Boolean);
  let headAt = cm + 1;
  while (headAt < lines.length && lines[headAt]!.trim() === "") headAt++;
  const head = lines[headAt]?.match(PAGE_DATE);
  const commentsAt = lines.findIndex((l, i) => i > cm && l.trim() === "Comments");
  // The page's comments end at the "diff mbox" link just above "Patch".
  let end = patchAt;
  while (end > 0 && lines[end - 1]!.trim() === "") end--;
  if (lines[end - 1]?.trim() === "diff mbox") end--;
  const bodyEnd = commentsAt >= 0 ? commentsAt : end;
  const message = messageOf(lines.slice(head ? headAt + 1 : cm + 1, bodyEnd));
  const author = head?.[1]?.trim() ?? "";
  const tags = tagsOf(message, "commit message");
  const replies: { author: string; date?: string }[] = [];
  if (commentsAt >= 0) {
    let who = "";
    let body: string[] = [];
    const flush = () => {
      if (who) tags.push(...tagsOf(body.join("\n"), `reply from ${who}`));
    };
    for (const l of lines.slice(commentsAt + 1, end)) {
      const m = l.match(PAGE_DATE);
      if (m && m[9]) {
        flush();
        who = m[1]!.trim();
        const date = pageDate(m);
        replies.push({ author: who, ...(date ? { date } : {}) });
        body = [];
      } else body.push(l);
    }
    flush();
  }
  const own = tags.find((t) =>
    t.name === "Signed-off-by" && t.value.startsWith(author) && t.from === "commit message"
  );
  const email = own ? splitAddress(own.value).email : undefined;
  const date = head ? pageDate(head) : undefined;
  return {
    format: "page",
    // Saved pages end the title with a colon the subject does not have.
    subject: cleanSubject(title).replace(/:$/, ""),
    author,
    ...(email ? { email } : {}),
    ...(date ? { date } : {}),
    ...(messageId ? { messageId } : {}),
    message,
    tags,
    replies,
    files: parseDiff(lines.slice(patchAt + 1)),
  };
}

/** `Oct. 9, 2012, 3:22 p.m. UTC` as ISO 8601. */
function pageDate(m: RegExpMatchArray): string | undefined {
  const month = MONTHS.findIndex((x) => m[3]!.startsWith(x));
  if (month < 0) return undefined;
  let hour = 12, minute = 0;
  const time = m[6]!;
  if (time === "midnight") hour = 0;
  else if (time !== "noon") {
    const [h, mm] = time.split(" ")[0]!.split(":");
    hour = Number(h) % 12 + (m[8] === "p" ? 12 : 0);
    minute = Number(mm ?? 0);
  }
  return new Date(Date.UTC(Number(m[5]), month, Number(m[4]), hour, minute)).toISOString();
}

// ---------------------------------------------------------------------------------------------
// The diff

const HUNK_HEAD = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** Parse unified-diff lines (`diff --git` blocks) into files and hunks. */
export function parseDiff(lines: string[]): FilePatch[] {
  const files: FilePatch[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (!l.startsWith("diff --git ")) {
      i++;
      continue;
    }
    const header = [l];
    const paths = l.match(/^diff --git a\/(\S+) b\/(\S+)$/);
    let oldPath = paths?.[1] ?? "", newPath = paths?.[2] ?? "";
    i++;
    while (
      i < lines.length && !lines[i]!.startsWith("@@") && !lines[i]!.startsWith("diff --git ")
    ) {
      const h = lines[i]!;
      if (h.startsWith("--- ")) oldPath = stripPrefix(h.slice(4));
      else if (h.startsWith("+++ ")) newPath = stripPrefix(h.slice(4));
      if (!h.startsWith("index ")) header.push(h);
      i++;
    }
    const file = newPath === "/dev/null" ? oldPath : newPath;
    const hunks: Hunk[] = [];
    while (i < lines.length && lines[i]!.startsWith("@@")) {
      const m = lines[i]!.match(HUNK_HEAD);
      if (!m) throw new Error(`malformed hunk header '${lines[i]}'`);
      const oldLines = m[2] === undefined ? 1 : Number(m[2]);
      const newLines = m[4] === undefined ? 1 : Number(m[4]);
      let o = oldLines, n = newLines;
      const body: string[] = [];
      i++;
      while (i < lines.length && (o > 0 || n > 0)) {
        let b = lines[i]!;
        // Saved pages and mailers strip the space of an empty context line.
        if (b === "") b = " ";
        const c = b[0];
        if (c === " ") o--, n--;
        else if (c === "-") o--;
        else if (c === "+") n--;
        else if (c !== "\\") break;
        body.push(b);
        i++;
      }
      if (o > 0 || n > 0) {
        throw new Error(
          `hunk '${m[0]}' of ${file} is cut short (${o} old and ${n} new lines missing)`,
        );
      }
      if (lines[i]?.startsWith("\\")) body.push(lines[i++]!);
      hunks.push({
        file,
        index: hunks.length + 1,
        oldStart: Number(m[1]),
        oldLines,
        newStart: Number(m[3]),
        newLines,
        section: m[5]!.trim(),
        lines: body,
      });
    }
    files.push({ oldPath, newPath, header, hunks });
  }
  if (files.length === 0) throw new Error("no diff found (no 'diff --git' line)");
  return files;
}

function stripPrefix(p: string): string {
  const path = p.split("\t")[0]!.trim();
  return path === "/dev/null" ? path : path.replace(/^[ab]\//, "");
}

/** A unified diff holding only the hunks `keep` accepts (files without one are left out). */
export function diffText(
  files: readonly FilePatch[],
  keep: (h: Hunk) => boolean = () => true,
): string {
  let out = "";
  for (const f of files) {
    const hunks = f.hunks.filter(keep);
    if (hunks.length === 0 && f.hunks.length > 0) continue;
    out += f.header.map((l) => `${l}\n`).join("");
    for (const h of hunks) out += hunkText(h);
  }
  return out;
}

function hunkText(h: Hunk): string {
  const range = (start: number, n: number) => n === 1 ? `${start}` : `${start},${n}`;
  return `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@${
    h.section ? ` ${h.section}` : ""
  }\n${h.lines.map((l) => `${l}\n`).join("")}`;
}

/** The patch as a git format-patch file (message and diff), for `git apply` and matrices. */
export function formatPatch(
  patch: IntakePatch,
  keep: (h: Hunk) => boolean = () => true,
): string {
  const from = patch.author ? `${patch.author}${patch.email ? ` <${patch.email}>` : ""}` : "";
  const head = [
    `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001`,
    ...(from ? [`From: ${from}`] : []),
    ...(patch.date ? [`Date: ${new Date(patch.date).toUTCString()}`] : []),
    `Subject: [PATCH] ${patch.subject || "patch"}`,
    "",
    patch.message,
    "---",
    "",
  ];
  return `${head.join("\n")}${diffText(patch.files, keep)}`;
}

/** Short content hash of a patch's diff (hunks `keep` accepts), for cache keys. */
export function patchHash(patch: IntakePatch, keep: (h: Hunk) => boolean = () => true): string {
  return createHash("sha256").update(diffText(patch.files, keep)).digest("hex").slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// Checking hunks against a tree

/** A hunk's fate on a tree. */
export interface HunkVerdict {
  /** The file. */
  file: string;
  /** 1-based hunk index within the file. */
  index: number;
  /** The hunk header as written (`@@ -1846,6 +1846,7 @@ config XEN_DOM0`). */
  header: string;
  /** Applies (maybe at an offset), is already applied, or conflicts. */
  status: "applies" | "already-applied" | "conflict";
  /** Line where it applies or where its result is (1-based), when known. */
  line?: number;
  /** Offset from the header's line, when it applies elsewhere. */
  offset?: number;
  /** Why, in one sentence, naming lines of the tree. */
  reason: string;
}

/**
 * Check every hunk of `patch` against the tree `dir` on its own (`git apply --check` on a
 * one-hunk patch, then in reverse), and explain the hunks that do not apply.
 *
 * @example Usage
 * ```ts ignore
 * const verdicts = await checkHunks(await readPatch("seed.txt"), "/src/linux-6.1");
 * verdicts.map((v) => v.status); // ["conflict", "applies", "conflict", "already-applied"]
 * ```
 *
 * @param patch The patch, from {@linkcode readPatch}.
 * @param dir The kernel tree (a directory; git is used as `patch` would be, nothing is written).
 */
export async function checkHunks(patch: IntakePatch, dir: string): Promise<HunkVerdict[]> {
  const tmp = await Deno.makeTempDir({ prefix: "kmatrix-intake-" });
  const out: HunkVerdict[] = [];
  const kconfigIndex = new KconfigIndex(dir);
  try {
    for (const f of patch.files) {
      for (const h of f.hunks) {
        const file = join(tmp, `${out.length}.patch`);
        await Deno.writeTextFile(file, diffText([f], (x) => x === h));
        const header = hunkText(h).split("\n")[0]!;
        const base = { file: h.file, index: h.index, header };
        const fwd = await gitApplyCheck(dir, file, false);
        if (fwd.ok) {
          const line = fwd.at ?? h.oldStart;
          const offset = line - h.oldStart;
          out.push({
            ...base,
            status: "applies",
            line,
            ...(offset ? { offset } : {}),
            reason: offset
              ? `context moved: applies at ${h.file}:${line} (offset ${
                offset > 0 ? "+" : ""
              }${offset} line${Math.abs(offset) === 1 ? "" : "s"})`
              : `applies at ${h.file}:${line}`,
          });
          continue;
        }
        const rev = await gitApplyCheck(dir, file, true);
        if (rev.ok) {
          const line = rev.at ?? h.newStart;
          out.push({
            ...base,
            status: "already-applied",
            line,
            reason: `already applied: its result is at ${h.file}:${line}`,
          });
          continue;
        }
        out.push({ ...base, ...explainConflict(h, dir, kconfigIndex, fwd.error) });
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  return out;
}

async function gitApplyCheck(
  dir: string,
  file: string,
  reverse: boolean,
): Promise<{ ok: boolean; at?: number; error: string }> {
  const args = ["apply", "--check", "-v", "--whitespace=nowarn", ...(reverse ? ["-R"] : []), file];
  const r = await new Deno.Command("git", { args, cwd: dir, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  const at = text.match(/Hunk #\d+ succeeded at (\d+)/)?.[1];
  const error = text.split("\n").find((l) => l.startsWith("error: ") && !/patch failed/.test(l))
    ?.slice(7) ?? "";
  return { ok: r.success, ...(at ? { at: Number(at) } : {}), error };
}

type Explained = Pick<HunkVerdict, "status" | "reason" | "line">;

/** Why a hunk does not apply, read from the tree. */
function explainConflict(h: Hunk, dir: string, kconfig: KconfigIndex, gitError: string): Explained {
  const path = join(dir, h.file);
  if (!existsSync(path)) {
    const isNew = h.oldLines === 0 && h.oldStart === 0;
    return {
      status: "conflict",
      reason: isNew
        ? `${h.file} already exists`
        : `${h.file} does not exist in this tree${gitError ? ` (${gitError})` : ""}`,
    };
  }
  const text = Deno.readTextFileSync(path).split("\n");
  const added = h.lines.filter((l) => l.startsWith("+")).map((l) => l.slice(1));
  const removed = h.lines.filter((l) => l.startsWith("-")).map((l) => l.slice(1));
  const old = h.lines.filter((l) => l[0] === " " || l[0] === "-").map((l) => l.slice(1));

  // Kconfig: the symbol the hunk changes, and whether it is still defined here.
  if (/(^|\/)Kconfig[^/]*$/.test(h.file)) {
    const sym = touchedSymbol(h);
    if (sym) {
      const here = findDefinition(text, sym);
      if (here < 0) {
        const elsewhere = kconfig.find(sym).filter((d) => d.file !== h.file);
        return {
          status: "conflict",
          reason: elsewhere.length
            ? `config ${sym} is no longer in ${h.file}: it is defined in ${
              elsewhere.map((d) => `${d.file}:${d.line}`).join(", ")
            }`
            : `config ${sym} no longer exists: no Kconfig file of this tree defines it`,
        };
      }
      const block = symbolBlock(text, here);
      const notes: string[] = [];
      for (const a of added) {
        const dep = a.trim().match(/^depends on (.+)$/)?.[1];
        if (!dep) continue;
        const found = block.find((b) =>
          b.text.trim().startsWith("depends on ") &&
          conjuncts(b.text.trim().slice("depends on ".length)).includes(dep.replace(/\s+/g, ""))
        );
        if (found) {
          notes.push(
            `the added 'depends on ${dep}' is already there as '${found.text.trim()}' (line ${found.line})`,
          );
        }
      }
      const diff = firstDifference(old, text, here);
      const expected = h.oldStart +
        old.findIndex((l) => new RegExp(`^(menu)?config\\s+${sym}\\s*$`).test(l));
      const where = expected === here + 1
        ? `config ${sym} at ${h.file}:${here + 1} has other lines`
        : `config ${sym} is now at ${h.file}:${here + 1} (the patch expects line ${expected})`;
      return {
        status: "conflict",
        line: here + 1,
        reason: `context changed: ${where}${diff ? `; ${diff}` : ""}${
          notes.length ? `; ${notes.join("; ")}` : ""
        }`,
      };
    }
  }

  // Every added line is already in the file, and no removed line is: applied some other way.
  const meaningful = added.filter((a) => a.trim() !== "");
  const lineOf = (s: string) => text.findIndex((t) => t.trim() === s.trim());
  if (
    meaningful.length > 0 && meaningful.every((a) => lineOf(a) >= 0) &&
    removed.every((r) => r.trim() === "" || lineOf(r) < 0)
  ) {
    const first = lineOf(meaningful[0]!);
    return {
      status: "already-applied",
      line: first + 1,
      reason: `already applied: ${
        meaningful.map((a) => `'${a.trim()}'`).join(", ")
      } already present at ${h.file}:${first + 1}`,
    };
  }

  // Where does the context stand now? The best window of the old lines.
  const best = bestWindow(old, text);
  if (best.matched > 0) {
    const diff = firstDifference(old, text, best.start);
    return {
      status: "conflict",
      line: best.start + 1,
      reason: `context changed: the closest match is ${h.file}:${best.start + 1} (offset ${
        best.start + 1 - h.oldStart
      }), ${best.matched} of ${old.length} lines equal${diff ? `; ${diff}` : ""}`,
    };
  }
  return {
    status: "conflict",
    reason: `context not found in ${h.file}${gitError ? ` (${gitError})` : ""}`,
  };
}

/** The Kconfig symbol a hunk changes: the last `config X` at or above its first change. */
function touchedSymbol(h: Hunk): string | undefined {
  let sym = h.section.match(/^(?:menu)?config\s+([A-Za-z0-9_]+)/)?.[1];
  for (const l of h.lines) {
    if (l[0] === "+" || l[0] === "-") break;
    const m = l.slice(1).match(/^(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/);
    if (m) sym = m[1];
  }
  return sym;
}

function findDefinition(text: string[], sym: string): number {
  const re = new RegExp(`^(menu)?config\\s+${sym}\\s*$`);
  return text.findIndex((l) => re.test(l));
}

/** The lines of a `config` entry, from its `config` line to the next entry. */
function symbolBlock(text: string[], at: number): { line: number; text: string }[] {
  const out = [{ line: at + 1, text: text[at]! }];
  for (let i = at + 1; i < text.length; i++) {
    if (
      /^(menu)?config\s|^(choice|endchoice|menu|endmenu|if|endif|source|comment)\b/.test(text[i]!)
    ) {
      break;
    }
    out.push({ line: i + 1, text: text[i]! });
  }
  return out;
}

/** Top-level `&&` terms of an expression, without spaces. */
function conjuncts(expr: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = "";
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (depth === 0 && expr.startsWith("&&", i)) {
      out.push(cur);
      cur = "";
      i++;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out.map((t) => t.replace(/\s+/g, "")).map((t) => t.replace(/^\((.*)\)$/, "$1"));
}

/** `expected '…', found '…' (line N)` for the first old line that differs from `at` on. */
function firstDifference(old: string[], text: string[], at: number): string {
  const anchor = old.findIndex((l) => l.trim() !== "" && text[at]?.trim() === l.trim());
  const start = anchor < 0 ? 0 : anchor;
  for (let k = start; k < old.length; k++) {
    const t = text[at + k - start];
    if (t !== old[k]) {
      return `expected '${old[k]!.trim()}', found '${(t ?? "<end of file>").trim()}' (line ${
        at + k - start + 1
      })`;
    }
  }
  return "";
}

/** The start of the window of the file where the most old lines are equal. */
function bestWindow(old: string[], text: string[]): { start: number; matched: number } {
  let best = { start: 0, matched: 0 };
  for (let s = 0; s + 1 <= text.length; s++) {
    let m = 0;
    for (let k = 0; k < old.length; k++) if (old[k]!.trim() !== "" && text[s + k] === old[k]) m++;
    if (m > best.matched) best = { start: s, matched: m };
  }
  return best;
}

/** Every `config X` of the tree's Kconfig files, read once on first use. */
class KconfigIndex {
  #dir: string;
  #defs?: Map<string, { file: string; line: number }[]>;
  constructor(dir: string) {
    this.#dir = dir;
  }
  find(sym: string): { file: string; line: number }[] {
    // git grep reads the index and is fast; a plain directory is walked once.
    const grep = new Deno.Command("git", {
      args: ["grep", "-n", "-E", `^\\s*(menu)?config\\s+${sym}\\s*$`, "--", "*Kconfig*"],
      cwd: this.#dir,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (grep.code === 0 || grep.code === 1) {
      const out = new TextDecoder().decode(grep.stdout).split("\n").filter(Boolean);
      if (grep.code === 0 || this.#isGit()) {
        return out.map((l) => {
          const [file, line] = l.split(":");
          return { file: file!, line: Number(line) };
        });
      }
    }
    return this.#walk().get(sym) ?? [];
  }
  #isGit(): boolean {
    return new Deno.Command("git", {
      args: ["rev-parse", "--show-toplevel"],
      cwd: this.#dir,
      stdout: "piped",
      stderr: "null",
    }).outputSync().success;
  }
  #walk(): Map<string, { file: string; line: number }[]> {
    if (!this.#defs) {
      this.#defs = new Map();
      const walk = (rel: string) => {
        for (const e of Deno.readDirSync(join(this.#dir, rel))) {
          const p = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory && !e.name.startsWith(".")) walk(p);
          else if (e.isFile && e.name.startsWith("Kconfig")) {
            Deno.readTextFileSync(join(this.#dir, p)).split("\n").forEach((l, i) => {
              const m = l.match(/^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/);
              if (!m) return;
              const list = this.#defs!.get(m[1]!) ?? [];
              list.push({ file: p, line: i + 1 });
              this.#defs!.set(m[1]!, list);
            });
          }
        }
      };
      walk("");
    }
    return this.#defs;
  }
}
