/**
 * Short content hashes for names and keys (rootfs directories, image tags, profile keys).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The first 12 hex digits of the SHA-256 of `parts` joined by NUL. */
export function shortHash(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 12);
}
