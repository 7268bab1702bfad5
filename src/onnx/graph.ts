/**
 * An ONNX model held in memory before it is serialized: plain data, no runtime. The exporter
 * builds one with `GraphBuilder`, the int8 quantizer rewrites it, `encodeModel` writes it.
 */

/** `TensorProto.DataType` values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** The typed array that holds the values of each data type. */
export type TensorValues = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** A constant tensor (an initializer): row-major values and their shape. */
export interface TensorSpec {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  values: TensorValues;
  /** Set when the values live in a separate file next to the model (ONNX external data). */
  external?: { location: string; offset: number; length: number };
}

/** One attribute value; the key says the ONNX type (`i` INT, `f` FLOAT, `ints` INTS, ...). */
export type Attr = { i: number } | { f: number } | { ints: readonly number[] } | { floats: readonly number[] } | { s: string };

export interface NodeSpec {
  name: string;
  opType: string;
  /** "" for the default ONNX domain, "com.microsoft" for ONNX Runtime contrib ops. */
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

/** A graph input or output: name, element type and shape (numbers, or names of dynamic axes). */
export interface ValueInfo {
  name: string;
  elemType: DataType;
  dims: ReadonlyArray<number | string>;
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  initializers: Map<string, TensorSpec>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface ModelSpec {
  irVersion: number;
  /** Operator sets the graph uses, e.g. `{ "": 17, "com.microsoft": 1 }`. */
  opsets: Record<string, number>;
  producerName: string;
  producerVersion: string;
  graph: GraphSpec;
  /** `metadata_props`: free-form strings (export options, source model). */
  metadata: Record<string, string>;
}

/** The default opset (ONNX 1.12): LayerNormalization is standard from 17 on. */
export const OPSET = 17;
/** IR version 8 pairs with opset 17. */
export const IR_VERSION = 8;
/** ONNX Runtime's contrib-op domain (DynamicQuantizeMatMul, ...). */
export const MS_DOMAIN = "com.microsoft";
