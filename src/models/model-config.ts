import { SbertError } from "../errors.js";
import type { JsonObject } from "../io/json-file.js";

/** `config_sentence_transformers.json`, camelCased. */
export interface SentenceTransformerConfig {
  prompts: Record<string, string>;
  defaultPromptName: string | undefined;
  similarityFnName: string | undefined;
  truncateDim: number | undefined;
}

export function parseSentenceTransformerConfig(raw: JsonObject | undefined): SentenceTransformerConfig {
  const cfg = raw ?? {};
  const prompts: Record<string, string> = {};
  const rawPrompts = cfg["prompts"];
  if (rawPrompts && typeof rawPrompts === "object" && !Array.isArray(rawPrompts)) {
    for (const [k, v] of Object.entries(rawPrompts)) if (typeof v === "string") prompts[k] = v;
  }
  const defaultPromptName = typeof cfg["default_prompt_name"] === "string" ? cfg["default_prompt_name"] : undefined;
  if (defaultPromptName !== undefined && !(defaultPromptName in prompts)) {
    throw new SbertError("INVALID_MODEL_FILE", `default_prompt_name "${defaultPromptName}" is not one of the prompts: ${Object.keys(prompts).join(", ")}`);
  }
  const td = cfg["truncate_dim"];
  if (td !== undefined && td !== null && (typeof td !== "number" || !Number.isInteger(td) || td <= 0)) {
    throw new SbertError("INVALID_MODEL_FILE", `truncate_dim must be a positive integer, got ${JSON.stringify(td)}`);
  }
  return {
    prompts,
    defaultPromptName,
    similarityFnName: typeof cfg["similarity_fn_name"] === "string" ? cfg["similarity_fn_name"] : undefined,
    truncateDim: typeof td === "number" ? td : undefined,
  };
}
