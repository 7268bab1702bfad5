/**
 * Export parity: builds the ONNX graph of every fixture folder (fp32 and int8, with and without
 * pooling; cross-encoders as sequence classification), runs each in ONNX Runtime on one fixed
 * padded batch, and either saves the outputs (`--save DIR`) or compares them with saved ones
 * (`--compare DIR`), printing the max abs diff per graph. Used to show an exporter change keeps
 * every graph's outputs (issue 11: ≤ 1e-6).
 *
 *   npx tsx bench/export-parity.ts --save /tmp/parity-before
 *   npx tsx bench/export-parity.ts --compare /tmp/parity-before
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { buildOnnxModel } from "../src/onnx/export.js";
import { encodeModel } from "../src/onnx/proto-writer.js";

const args = process.argv.slice(2);
const mode = args[0];
const dir = args[1];
if ((mode !== "--save" && mode !== "--compare") || !dir) throw new Error("usage: export-parity.ts --save DIR | --compare DIR");
const fixtures = "test/fixtures";
const folders = readdirSync(fixtures).filter((f) => existsSync(join(fixtures, f, "config.json")) && existsSync(join(fixtures, f, "model.safetensors")));

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/** Two rows, the second padded: ids drawn from a fixed sequence inside the vocabulary. */
function feeds(names: string[], vocab: number, pad: number): Record<string, ort.Tensor> {
  const [b, t] = [2, 7];
  const ids = new BigInt64Array(b * t);
  const mask = new BigInt64Array(b * t);
  for (let i = 0; i < b * t; i++) {
    const real = i < t || i % t < 4;
    ids[i] = BigInt(real ? 3 + ((i * 7919) % (vocab - 3)) : pad);
    mask[i] = real ? 1n : 0n;
  }
  const f: Record<string, ort.Tensor> = {};
  for (const n of names) f[n] = new ort.Tensor("int64", n === "attention_mask" ? mask : n === "input_ids" ? ids : new BigInt64Array(b * t), [b, t]);
  return f;
}

let worst = 0;
if (mode === "--save") mkdirSync(dir, { recursive: true });
for (const folder of folders) {
  const path = join(fixtures, folder);
  const config = JSON.parse(readFileSync(join(path, "config.json"), "utf8")) as { vocab_size: number; pad_token_id?: number };
  const isCe = folder.startsWith("ce-");
  const variants = isCe ? [{}, { quantize: "int8" as const }] : [{}, { quantize: "int8" as const }, { withPooling: true }, { withPooling: true, quantize: "int8" as const }];
  for (const v of variants) {
    const name = `${folder}${v.withPooling ? "-pooled" : ""}${v.quantize ? "-int8" : ""}`;
    let model;
    try {
      model = await buildOnnxModel(path, v);
    } catch (e) {
      console.log(`${name}: not exportable (${(e as Error).message.slice(0, 80)})`);
      continue;
    }
    const session = await ort.InferenceSession.create(concatBytes(encodeModel(model)));
    const out = await session.run(feeds(session.inputNames as string[], config.vocab_size, config.pad_token_id ?? 0));
    const values: Record<string, number[]> = {};
    for (const [k, t] of Object.entries(out)) values[k] = Array.from(t.data as Float32Array);
    if (mode === "--save") {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(values));
      console.log(`${name}: saved (${Object.keys(values).join(", ")})`);
    } else {
      const before = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as Record<string, number[]>;
      let diff = 0;
      for (const [k, a] of Object.entries(before)) {
        const b = values[k];
        if (!b || b.length !== a.length) throw new Error(`${name}: output ${k} missing or resized`);
        for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
      }
      worst = Math.max(worst, diff);
      console.log(`${name}: max abs diff ${diff.toExponential(2)}`);
    }
  }
}
if (mode === "--compare") console.log(`worst max abs diff over every graph: ${worst.toExponential(2)}`);
