/**
 * Small zod helpers shared by the schemas of matrix.yaml and cross/ data.
 *
 * @module
 */
import { z } from "zod";

/** A strict object whose unknown-key error lists the keys that are allowed. */
export function strict<S extends z.ZodRawShape>(shape: S): z.ZodObject<S, z.core.$strict> {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `allowed keys are ${allowed}` : undefined,
  });
}
