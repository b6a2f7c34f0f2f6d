import { createHash } from "node:crypto";

/** Short stable hash of text, for triggers and names that must change when content changes. */
export function shortHash(text: string, length = 12): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}
