/**
 * Where kmatrix keeps what is expensive to make again: extracted kernel trees, variant
 * worktrees, ccache.
 *
 * @module
 */
import { join } from "node:path";

/**
 * The cache directory: `$KMATRIX_CACHE`, else `$XDG_CACHE_HOME/kmatrix`, else
 * `$HOME/.cache/kmatrix`.
 */
export function cacheDir(): string {
  const explicit = Deno.env.get("KMATRIX_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "kmatrix");
  const home = Deno.env.get("HOME") ?? "/root";
  return join(home, ".cache", "kmatrix");
}
