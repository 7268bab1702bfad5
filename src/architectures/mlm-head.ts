/**
 * The masked-language-model head (`…ForMaskedLM`) that SPLADE models read their logits from:
 * transform dense (H → H) → activation → LayerNorm → decoder (H → vocab) + bias. Written once
 * against the op interface, so the eager engine and the ONNX graph run this same definition.
 *
 * Ported from transformers `BertLMPredictionHead` / `BertPredictionHeadTransform`
 * (models/bert/modeling_bert.py), `RobertaLMHead` (models/roberta/modeling_roberta.py: dense →
 * gelu → layer_norm → decoder), `MPNetLMHead` (same) and DistilBERT's `vocab_transform` →
 * activation → `vocab_layer_norm` (eps 1e-12) → `vocab_projector`. The decoder weight is the word
 * embedding table when `tie_word_embeddings` (transformers' default, and how these checkpoints
 * are saved: the table once), else the checkpoint's own decoder matrix.
 */
import { SbertError } from "../errors.js";
import type { ActivationName } from "../tensor/ops/elementwise.js";
import type { EncoderConfig } from "./config.js";
import { linearParams, normParams } from "./layers.js";
import type { ArchOps, LinearParams, NormParams, Param } from "./ops.js";
import type { ParamStore } from "./params.js";

export interface MlmHeadWeights {
  transform: LinearParams;
  act: ActivationName;
  norm: NormParams;
  eps: number;
  /** Weight (vocab, H), the word embeddings when tied; bias (vocab). */
  decoder: LinearParams;
}

/** A head's checkpoint names (keys of the whole checkpoint, outside the base-model prefix). */
interface HeadNames {
  transform: string;
  norm: string;
  decoder: string;
  bias: string;
  /** The activation of the transform; undefined = the config's `hidden_act`. */
  act?: ActivationName;
  eps?: number;
}

const BERT: HeadNames = { transform: "cls.predictions.transform.dense", norm: "cls.predictions.transform.LayerNorm", decoder: "cls.predictions.decoder", bias: "cls.predictions.bias" };
const ROBERTA: HeadNames = { transform: "lm_head.dense", norm: "lm_head.layer_norm", decoder: "lm_head.decoder", bias: "lm_head.bias", act: "gelu" };
const DISTILBERT: HeadNames = { transform: "vocab_transform", norm: "vocab_layer_norm", decoder: "vocab_projector", bias: "vocab_projector.bias", eps: 1e-12 };

const HEADS: Record<string, HeadNames> = {
  bert: BERT,
  roberta: ROBERTA,
  "xlm-roberta": ROBERTA,
  camembert: ROBERTA,
  mpnet: ROBERTA,
  distilbert: DISTILBERT,
};

/** True when the checkpoint holds a masked-LM head for this architecture. */
export function hasMlmHead(config: EncoderConfig, root: ParamStore): boolean {
  const n = HEADS[config.modelType];
  return n !== undefined && root.has(`${n.transform}.weight`);
}

/**
 * Reads the head from the whole checkpoint `root`; `word` is the base model's word embedding
 * table (vocab, H), the decoder weight when tied. INVALID_MODEL_FILE when the head is missing.
 */
export function loadMlmHead(config: EncoderConfig, root: ParamStore, word: Param): MlmHeadWeights {
  const n = HEADS[config.modelType];
  if (!n || !root.has(`${n.transform}.weight`)) {
    throw new SbertError(
      "INVALID_MODEL_FILE",
      `${root.source} has no masked-language-model head (${n ? `"${n.transform}.weight"` : `none is known for model_type "${config.modelType}"`}); a SPLADE MLMTransformer needs a …ForMaskedLM checkpoint (supported: ${Object.keys(HEADS).join(", ")})`,
    );
  }
  const h = config.hiddenSize;
  const v = config.vocabSize;
  const bias = root.has(n.bias) ? root.get(n.bias, [v]) : root.get(`${n.decoder}.bias`, [v]);
  const weight = config.tieWordEmbeddings || !root.has(`${n.decoder}.weight`) ? word.tensor : root.get(`${n.decoder}.weight`, [v, h]);
  if (!config.tieWordEmbeddings && weight === word.tensor) {
    throw new SbertError("INVALID_MODEL_FILE", `${root.source}: tie_word_embeddings is false but the checkpoint has no "${n.decoder}.weight"`);
  }
  return {
    transform: linearParams(root, n.transform, h, h),
    act: n.act ?? config.hiddenAct,
    norm: normParams(root, n.norm, h),
    eps: n.eps ?? config.layerNormEps,
    decoder: { key: root.prefix + n.decoder, weight, bias },
  };
}

/** Vocabulary logits (…, vocab) from hidden states (…, H): decoder(LN(act(dense(x)))). */
export function mlmHead<V, M>(o: ArchOps<V, M>, hidden: V, w: MlmHeadWeights): V {
  return o.scope("mlm_head", () => o.linear(o.layerNorm(o.activation(o.linear(hidden, w.transform), w.act), w.norm, w.eps), w.decoder));
}
