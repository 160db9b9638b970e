/**
 * Types for the two functions of `snappyjs` 0.7 the file store uses (the package ships none;
 * declaring these two here saves a dev dependency). A Buffer in gives a Buffer out.
 */
declare module "snappyjs" {
  /** Snappy block format: a varint of the raw length, then literals and copies. */
  export function compress(uncompressed: Buffer): Buffer;
  /** Throws on a malformed stream, or when the declared raw length exceeds `maxLength`. */
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer;
}
