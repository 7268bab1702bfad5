import { SbertError } from "../errors.js";
import { isJpeg, jpegSize } from "./jpeg.js";
import { isPng } from "./png.js";

/** An encoded image's format and size as its header states them. */
export interface ImageHeader {
  format: "png" | "jpeg";
  width: number;
  height: number;
}

/**
 * The format and size of PNG or JPEG bytes from the header alone (PNG: the IHDR chunk that must
 * come first, ISO/IEC 15948 11.2.2; JPEG: the first SOF marker, `jpegSize`), so that a size
 * limit can be applied before anything is decoded. Checks nothing else: the decoder still
 * validates the whole file.
 *
 * @throws SbertError `UNSUPPORTED_FORMAT` (neither PNG nor JPEG), `INVALID_INPUT` (no readable header)
 * @example
 * imageHeader(await readFile("cat.png"), "cat.png"); // { format: "png", width: 640, height: 480 }
 */
export function imageHeader(bytes: Uint8Array, what: string): ImageHeader {
  if (isJpeg(bytes)) return { format: "jpeg", ...jpegSize(bytes, what) };
  if (!isPng(bytes)) throw new SbertError("UNSUPPORTED_FORMAT", `${what}: not a PNG or JPEG file (first bytes ${Buffer.from(bytes.subarray(0, 8)).toString("hex") || "none"})`);
  // signature (8) | length (4) = 13 | "IHDR" | width (4) | height (4) ...
  const ihdr = bytes.length >= 24 && String.fromCharCode(...bytes.subarray(12, 16)) === "IHDR";
  if (!ihdr) throw new SbertError("INVALID_INPUT", `${what}: corrupt PNG (no IHDR chunk at the start)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { format: "png", width: view.getUint32(16), height: view.getUint32(20) };
}
