/**
 * Image inputs of the embedding routes: a string `data:image/png;base64,...` or
 * `data:image/jpeg;base64,...` (RFC 2397 data URL, as OpenAI-compatible servers take images) in
 * `input` / `inputs` is an image, for a model that reads images (CLIP). It is checked here, on
 * the HTTP thread, before it is queued: the media type (png, jpeg, jpg), strict base64, at most
 * `maxImageBytes` decoded bytes (413), and the size the image header states, 1 to
 * `maxImagePixels` pixels (413 beyond; nothing is decoded for that). The bytes go to the model
 * thread, which decodes them as `encode({ image: bytes })` does; a corrupt file is its 422. Every
 * other string is a text.
 *
 * @example
 * readImageDataUrl("data:image/png;base64,iVBORw0KGgo...", "input[1]", limits); // Uint8Array of the PNG
 */
import { SbertError } from "../errors.js";
import { imageHeader } from "../image/image-size.js";
import { ApiError } from "./errors.js";

export interface ImageLimits {
  /** Largest decoded image file in bytes. */
  maxImageBytes: number;
  /** Most pixels (width × height, from the header) of one image. */
  maxImagePixels: number;
}

/** What makes a string an image input: the data URL scheme with an image media type. */
const IMAGE_URL = /^data:image\//i;
const SHAPE = /^data:image\/([a-z0-9.+-]+)((?:;[^,;]*)*),/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const TYPES: Readonly<Record<string, "png" | "jpeg">> = { png: "png", jpeg: "jpeg", jpg: "jpeg" };

/** True for a string that is an image input (`data:image/...`). */
export function isImageDataUrl(s: string): boolean {
  return IMAGE_URL.test(s);
}

/**
 * The image file bytes of a `data:image/...;base64,` URL, checked as the file comment says.
 * @throws ApiError validation (422) for a malformed URL or header, payload_too_large (413) over a limit
 */
export function readImageDataUrl(url: string, where: string, limits: ImageLimits): Uint8Array {
  const m = SHAPE.exec(url);
  const bad = (msg: string): ApiError => new ApiError("validation", `\`${where}\`: ${msg}`);
  if (!m) throw bad("an image data URL must look like data:image/png;base64,<data> (no comma found)");
  const type = TYPES[(m[1] as string).toLowerCase()];
  if (type === undefined) throw bad(`image type image/${m[1]} is not supported; send image/png or image/jpeg`);
  const params = (m[2] as string).toLowerCase().split(";").filter(Boolean);
  if (params[params.length - 1] !== "base64") throw bad("only base64 image data URLs are accepted (data:image/png;base64,...)");
  const data = url.slice(m[0].length);
  if (data.length === 0) throw bad("the image data is empty");
  const decodedBytes = Math.floor((data.length * 3) / 4);
  if (decodedBytes - 2 > limits.maxImageBytes) {
    throw new ApiError("payload_too_large", `\`${where}\`: the image is about ${decodedBytes} bytes; the limit is ${limits.maxImageBytes} (--max-image-bytes)`);
  }
  if (data.length % 4 !== 0 || !BASE64.test(data)) throw bad("the image data is not valid base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)");
  const bytes = new Uint8Array(Buffer.from(data, "base64"));
  if (bytes.length > limits.maxImageBytes) throw new ApiError("payload_too_large", `\`${where}\`: the image is ${bytes.length} bytes; the limit is ${limits.maxImageBytes} (--max-image-bytes)`);
  let header;
  try {
    header = imageHeader(bytes, `\`${where}\``);
  } catch (e) {
    if (e instanceof SbertError) throw new ApiError("validation", e.message, { cause: e });
    throw e;
  }
  if (header.format !== type) throw bad(`the data URL says image/${m[1]}, but the data is a ${header.format.toUpperCase()} file`);
  const { width, height } = header;
  if (width < 1 || height < 1) throw bad(`the image header states a size of ${width}x${height} pixels`);
  if (width * height > limits.maxImagePixels) {
    throw new ApiError("payload_too_large", `\`${where}\`: the image is ${width}x${height} = ${width * height} pixels; the limit is ${limits.maxImagePixels} (--max-image-pixels)`);
  }
  return bytes;
}
